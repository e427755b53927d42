// reports_export.js: the strings of the record export (导出) and the scheduled reports (定时报表),
// merged into the locales by i18n.js.
export default {
  'zh-CN': {
    exports: {
      nav: '导出', title: '导出服务记录', period: '时间段', today: '今天', yesterday: '昨天',
      thisWeek: '本周', thisMonth: '本月', start: '开始日期', end: '结束日期', format: '格式',
      button: '导出', busy: '正在导出…', done: '已导出 {name}', channel: '渠道', type: '需求类型',
      anyChannel: '全部渠道', anyType: '全部类型',
      hint: '按记录表模板(记录编号、客户提出时间、首次响应时间、问题解决时间、总响应时长等)导出所选日期内的全部工单,联系方式已隐藏。CSV 带 BOM,Excel 与 WPS 可直接打开;xlsx 为标准工作簿。客服专员只导出自己受理的工单。',
      formats: { xlsx: 'Excel 工作簿(.xlsx)', csv: 'CSV(.csv)' },
    },
    reportSchedules: {
      nav: '定时报表', title: '定时报表', new: '新建定时报表', edit: '编辑定时报表', none: '暂无定时报表',
      hint: '到设定时间(本地时间)通过邮件渠道把报表发给收件人,每个周期只发一次:每日导出为当天的服务记录(附件),周报在每周一发送上周(周一至周日)的汇总。',
      kind: '类型', to: '收件人', toHint: '多个地址用逗号或换行分隔', at: '发送时间', format: '附件格式',
      channel: '邮件渠道', defaultChannel: '默认发件渠道', nextAt: '下次发送', deliveries: '发送记录',
      noDeliveries: '暂无发送记录', period: '周期', status: '状态', error: '错误', sentAt: '发送时间',
      createdAt: '生成时间', mails: '邮件', file: '附件', confirmDelete: '删除这个定时报表及其发送记录?',
      kinds: { daily_export: '每日导出', weekly_summary: '周报汇总' },
      states: { queued: '发送中', sent: '已发送', failed: '失败' },
    },
  },
  en: {
    exports: {
      nav: 'Export', title: 'Export service records', period: 'Period', today: 'Today', yesterday: 'Yesterday',
      thisWeek: 'This week', thisMonth: 'This month', start: 'Start date', end: 'End date', format: 'Format',
      button: 'Export', busy: 'Exporting…', done: 'Exported {name}', channel: 'Channel', type: 'Request type',
      anyChannel: 'All channels', anyType: 'All types',
      hint: 'Every ticket of the chosen days in the record template\'s columns (record number, raised, first response, resolved, total response time, …), contacts masked. The CSV carries a byte-order mark so Excel and WPS open it as it is; xlsx is a real workbook. Agents export the tickets they handle.',
      formats: { xlsx: 'Excel workbook (.xlsx)', csv: 'CSV (.csv)' },
    },
    reportSchedules: {
      nav: 'Scheduled reports', title: 'Scheduled reports', new: 'New scheduled report', edit: 'Edit scheduled report',
      none: 'No scheduled reports',
      hint: 'At the set local time the report is mailed through a mail channel, once per period: the daily export attaches the day\'s records; the weekly summary goes out on Mondays for last week (Monday to Sunday).',
      kind: 'Kind', to: 'Recipients', toHint: 'Separate addresses with commas or new lines', at: 'Time', format: 'Attachment',
      channel: 'Mail channel', defaultChannel: 'Default sender', nextAt: 'Next', deliveries: 'Deliveries',
      noDeliveries: 'No deliveries yet', period: 'Period', status: 'Status', error: 'Error', sentAt: 'Sent',
      createdAt: 'Made', mails: 'Mails', file: 'File', confirmDelete: 'Delete this scheduled report and its deliveries?',
      kinds: { daily_export: 'Daily export', weekly_summary: 'Weekly summary' },
      states: { queued: 'Sending', sent: 'Sent', failed: 'Failed' },
    },
  },
};
