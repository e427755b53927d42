// i18n.js: Chinese by default, English by a switch that is remembered.
import { createI18n } from 'vue-i18n';
import zhCN from './locales/zh-CN.js';
import en from './locales/en.js';
import kb from './locales/kb.js';
import reports from './locales/reports.js';
import reportsExport from './locales/reports_export.js';
import forecast from './locales/forecast.js';

const saved = localStorage.getItem('kefu.locale');
export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
});
for (const l of ['zh-CN', 'en']) {
  i18n.global.mergeLocaleMessage(l, kb[l]);
  i18n.global.mergeLocaleMessage(l, reports[l]);
  i18n.global.mergeLocaleMessage(l, reportsExport[l]);
  i18n.global.mergeLocaleMessage(l, forecast[l]);
}

export function setLocale(l) {
  i18n.global.locale.value = l;
  localStorage.setItem('kefu.locale', l);
  document.documentElement.lang = l;
}
