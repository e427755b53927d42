// forecast.js: the forecast page's strings (预测与排班), merged into the locales by i18n.js.
export default {
  'zh-CN': {
    forecast: {
      nav: '预测与排班', title: '预测与排班', days: '预测天数', daysN: '{n} 天', channel: '渠道', type: '需求类型',
      department: '部门', all: '全部', chart: '未来 {n} 天每小时工单量', expected: '预计', band: '区间 5%–95%',
      low: '下限', high: '上限', perDay: '每日预计', date: '日期', weekday: '星期', total: '预计工单',
      staffing: '班次人手', shift: '班次', needed: '需要人数', planned: '已排人数', short: '缺口', shortBy: '缺 {n} 人',
      enough: '足够', uncovered: '未排班', basis: '计算依据', handling: '平均处理时长 {m} 分钟({source})',
      target: '首次响应目标 {m} 分钟({source}),{level}% 在目标内应答', history: '学习了最近 {n} 天的工单',
      noShifts: '这段时间没有排班,也没有预计的工单', planHint: '缺口按 Erlang C 计算:每个班次最忙的一小时需要的人数。到「排班」页为缺人的班次加人。',
      toShifts: '去排班',
      source: { history: '按历史测得,{n} 张工单', query: '手动指定', default: '默认值', sla_policy: '中优先级 SLA 策略' },
      method: {
        weekday_hour_trend: '同星期同小时的近 {weeks} 周平均,按周总量趋势调整',
        weekday_hour: '同星期同小时的近 {weeks} 周平均(历史不足三周,不计趋势)',
        hour: '历史不足一周:按已有各天同一小时的平均',
        none: '还没有历史工单,无法预测',
      },
      fewHistory: '历史较少,预测仅供参考。',
    },
  },
  en: {
    forecast: {
      nav: 'Forecast & staffing', title: 'Forecast and staffing', days: 'Days ahead', daysN: '{n} days', channel: 'Channel',
      type: 'Type', department: 'Department', all: 'All', chart: 'Tickets per hour, next {n} days', expected: 'Expected',
      band: 'Range 5%–95%', low: 'Low', high: 'High', perDay: 'Expected per day', date: 'Date', weekday: 'Day',
      total: 'Expected tickets', staffing: 'Staffing per shift', shift: 'Shift', needed: 'Agents needed',
      planned: 'Agents planned', short: 'Short', shortBy: 'short by {n}', enough: 'enough', uncovered: 'not planned',
      basis: 'Basis', handling: 'mean handling time {m} min ({source})',
      target: 'first-response target {m} min ({source}), {level}% answered within it',
      history: 'learned from the last {n} days of tickets',
      noShifts: 'No shifts planned and no tickets expected in these days',
      planHint: 'Erlang C for the busiest hour of each shift. Add people to the short shifts on the Shifts page.',
      toShifts: 'Plan shifts',
      source: { history: 'measured over {n} tickets', query: 'given', default: 'default', sla_policy: 'medium-priority SLA policy' },
      method: {
        weekday_hour_trend: 'mean of the same weekday and hour over the last {weeks} weeks, scaled by the weekly trend',
        weekday_hour: 'mean of the same weekday and hour over the last {weeks} weeks (under three weeks: no trend)',
        hour: 'under a week of history: the mean of each hour over the days there are',
        none: 'no tickets yet: nothing to forecast from',
      },
      fewHistory: 'Little history: take the forecast as a rough guide.',
    },
  },
};
