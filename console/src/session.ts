/**
 * The signed-in session: the secret key (kept in localStorage until sign-out), the API client
 * bound to it, and the workspace it belongs to.
 */
import { createContext, useContext } from 'react';
import type { Api, Workspace } from './api.ts';

const KEY_STORAGE = 'siyu.console.secretKey';
const LOCALE_STORAGE = 'siyu.console.locale';

/** The saved secret key, if any. */
export function loadKey(): string | null {
  return window.localStorage.getItem(KEY_STORAGE);
}

/** Saves the secret key (after GET /v1/workspace accepted it). */
export function saveKey(key: string): void {
  window.localStorage.setItem(KEY_STORAGE, key);
}

/** Forgets the secret key (sign-out, or the server refused it). */
export function clearKey(): void {
  window.localStorage.removeItem(KEY_STORAGE);
}

/** The saved locale ('zh-CN' unless the operator chose English). */
export function loadLocale(): 'zh-CN' | 'en' {
  return window.localStorage.getItem(LOCALE_STORAGE) === 'en' ? 'en' : 'zh-CN';
}

/** Saves the chosen locale. */
export function saveLocale(locale: 'zh-CN' | 'en'): void {
  window.localStorage.setItem(LOCALE_STORAGE, locale);
}

/** What every signed-in screen reads. */
export interface Session {
  api: Api;
  workspace: Workspace;
}

/** React context carrying the session (set in App once signed in). */
export const SessionContext = createContext<Session | null>(null);

/** The session; only used under a signed-in App. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}
