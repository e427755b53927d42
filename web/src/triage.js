// triage.js: priority rules in words, for the rules screen and a ticket's history.

export const TYPES = ['inquiry', 'problem', 'fault', 'complaint', 'suggestion', 'special'];
export const URGENCIES = ['high', 'medium', 'low'];
export const TIERS = ['vip', 'normal', 'new'];
export const PRIORITIES = ['urgent', 'high', 'medium', 'low'];
// The conditions of a rule, in the order the editor shows them.
export const CONDITIONS = ['keywords', 'type', 'category', 'urgency', 'tier', 'channel'];

// A channel's name in the current language; its code when it is unknown.
export function channelName(channels, code, locale) {
  const c = channels.find((x) => x.code === code);
  if (!c) return code;
  return locale === 'en' ? c.name_en || c.name : c.name;
}

export function categoryName(categories, code) {
  const c = categories.find((x) => x.code === code);
  return c ? c.name : code;
}

export function departmentName(departments, id) {
  const d = departments.find((x) => x.id === id);
  return d ? d.name : `#${id}`;
}

// "关键词: 资金、资金安全", "类型: 投诉", ... for the conditions a rule has; [] when it has none.
// ref is {categories, channels, departments, locale}, the lists as the server gives them.
export function conditionParts(t, conditions, ref) {
  const c = conditions || {};
  const sep = t('common.listSep');
  const say = {
    keywords: [t('rules.keywords'), (v) => v],
    type: [t('field.type'), (v) => t('enum.type.' + v)],
    category: [t('field.category'), (v) => categoryName(ref.categories, v)],
    urgency: [t('field.urgency'), (v) => t('enum.urgency.' + v)],
    tier: [t('field.tier'), (v) => t('enum.tier.' + v)],
    channel: [t('field.channel'), (v) => channelName(ref.channels, v, ref.locale)],
  };
  return CONDITIONS.filter((k) => c[k] && c[k].length)
    .map((k) => `${say[k][0]}: ${c[k].map(say[k][1]).join(sep)}`);
}

// "优先级 → 紧急", "部门 → 技术支持", "标签 资金" for what a rule (or one application of it) does.
export function actionParts(t, actions, ref) {
  const a = actions || {};
  const out = [];
  if (a.priority) out.push(t('rules.setPriority', { v: t('enum.priority.' + a.priority) }));
  if (a.department_id) out.push(t('rules.setDepartment', { v: departmentName(ref.departments, a.department_id) }));
  if (a.labels && a.labels.length) out.push(t('rules.addLabels', { v: a.labels.join(t('common.listSep')) }));
  return out;
}
