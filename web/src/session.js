// session.js: who is signed in, shared by every screen.
import { reactive } from 'vue';
import * as api from './api.js';

export const session = reactive({ user: null, checked: false });

export async function restore() {
  if (session.checked) return session.user;
  try {
    session.user = await api.me();
  } catch {
    session.user = null;
  }
  session.checked = true;
  return session.user;
}

export const isLead = () => ['supervisor', 'admin'].includes(session.user && session.user.role);
export const isAdmin = () => session.user && session.user.role === 'admin';
