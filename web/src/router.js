// router.js: the screens and who may open them.
import { createRouter, createWebHistory } from 'vue-router';
import { session, restore } from './session.js';
import { setUnauthorizedHandler } from './api.js';
import { loadZone } from './time.js';
import { restoreCustomer } from './portal.js';

const routes = [
  { path: '/', redirect: '/tickets' },
  { path: '/login', component: () => import('./views/login/LoginView.vue'), meta: { public: true } },
  { path: '/tickets', component: () => import('./views/tickets/PoolView.vue') },
  { path: '/tickets/new', component: () => import('./views/ticket-new/NewTicketView.vue') },
  { path: '/tickets/:id', component: () => import('./views/ticket/TicketView.vue'), props: true },
  { path: '/tokens', component: () => import('./views/tokens/TokensView.vue') },
  // one customer across channels: finding, identities, merging
  { path: '/customers', component: () => import('./views/customers/CustomersView.vue') },
  { path: '/customers/:id', component: () => import('./views/customers/CustomerView.vue'), props: true },
  { path: '/admin/users', component: () => import('./views/admin/UsersView.vue'), meta: { admin: true } },
  { path: '/admin/departments', component: () => import('./views/admin/DepartmentsView.vue'), meta: { admin: true } },
  { path: '/admin/categories', component: () => import('./views/admin/CategoriesView.vue'), meta: { admin: true } },
  { path: '/admin/priority-rules', component: () => import('./views/admin/PriorityRulesView.vue'), meta: { lead: true } },
  { path: '/admin/settings', component: () => import('./views/admin/SettingsView.vue'), meta: { admin: true } },
  // Service levels and shifts (排班): supervisors read policies and calendars, admins change them;
  // everyone sees the shift week, supervisors and admins plan it.
  { path: '/admin/sla-policies', component: () => import('./views/admin/SlaPoliciesView.vue'), meta: { lead: true } },
  { path: '/admin/calendars', component: () => import('./views/admin/CalendarsView.vue'), meta: { lead: true } },
  // the notification webhook
  { path: '/admin/webhooks', component: () => import('./views/admin/WebhooksView.vue'), meta: { admin: true } },
  // standard replies (标准话术): supervisors and admins keep them
  { path: '/admin/templates', component: () => import('./views/admin/TemplatesView.vue'), meta: { lead: true } },
  // the knowledge base (知识库)
  { path: '/kb', component: () => import('./views/kb/KbView.vue') },
  { path: '/kb/new', component: () => import('./views/kb/KbEditor.vue') },
  { path: '/kb/:id', component: () => import('./views/kb/KbArticleView.vue'), props: true },
  { path: '/kb/:id/edit', component: () => import('./views/kb/KbEditor.vue'), props: true },
  { path: '/shifts', component: () => import('./views/shifts/ShiftsView.vue') },
  { path: '/board', component: () => import('./views/board/BoardView.vue'), meta: { lead: true } },
  // the volume forecast and the staffing it calls for (预测与排班)
  { path: '/reports/forecast', component: () => import('./views/reports/ForecastView.vue'), meta: { lead: true } },
  { path: '/reports', component: () => import('./views/reports/ReportsView.vue') },
  // channels: connecting a mailbox
  { path: '/admin/channels', component: () => import('./views/admin/ChannelsView.vue'), meta: { admin: true } },
  // satisfaction: the supervisor's surveys and second-handling queue; the customer's survey page
  // (public, phone-sized, opened by the link's token: no account of either kind)
  { path: '/satisfaction', component: () => import('./views/survey/SatisfactionView.vue'), meta: { lead: true } },
  { path: '/s/:token', component: () => import('./views/survey/SurveyView.vue'), props: true, meta: { portal: true } },
  { path: '/admin/stores', component: () => import('./views/admin/StoresView.vue'), meta: { admin: true } },
  // The customer portal: its own frame, no staff account (meta.portal); its tickets need the
  // customer signed in with a code (meta.customer).
  {
    path: '/portal',
    component: () => import('./views/portal/PortalLayout.vue'),
    meta: { portal: true },
    children: [
      { path: '', component: () => import('./views/portal/PortalRequestView.vue'), meta: { portal: true } },
      { path: 'login', component: () => import('./views/portal/PortalSignInView.vue'), meta: { portal: true } },
      { path: 'tickets', component: () => import('./views/portal/PortalTicketsView.vue'), meta: { portal: true, customer: true } },
      {
        path: 'tickets/:number', component: () => import('./views/portal/PortalTicketView.vue'), props: true,
        meta: { portal: true, customer: true },
      },
      { path: ':rest(.*)*', redirect: '/portal', meta: { portal: true } },
    ],
  },
  // reports: the record export (every staff role: agents get their own tickets) and the
  // scheduled reports (supervisors, admins)
  { path: '/reports/export', component: () => import('./views/reports/ExportView.vue') },
  { path: '/reports/schedules', component: () => import('./views/reports/ReportSchedulesView.vue'), meta: { lead: true } },
  // Any other path says there is no such page rather than showing another one.
  { path: '/:rest(.*)*', component: () => import('./views/not-found/NotFoundView.vue') },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.portal) { // never the staff's session
    if (to.meta.customer && !(await restoreCustomer())) return { path: '/portal/login', query: { next: to.fullPath } };
    return true;
  }
  const user = await restore();
  if (to.meta.public) return user && to.path === '/login' ? '/tickets' : true;
  if (!user) return { path: '/login', query: { next: to.fullPath } };
  if (to.meta.admin && user.role !== 'admin') return '/tickets';
  if (to.meta.lead && !['supervisor', 'admin'].includes(user.role)) return '/tickets';
  await loadZone();
  return true;
});

setUnauthorizedHandler(() => {
  session.user = null;
  if (router.currentRoute.value.meta.portal) return;
  if (router.currentRoute.value.path !== '/login') router.push('/login');
});
