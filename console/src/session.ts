/**
 * The signed-in session: the user and their workspaces (from the httpOnly session cookie, which
 * scripts cannot read), the CSRF token, the workspace shown, and the API client bound to them.
 * Nothing secret is kept in localStorage: only the locale and the last workspace chosen.
 */
import { createContext, useContext } from 'react';
import type { Api, ConsoleSession, Role, Workspace } from './api.ts';

const LOCALE_STORAGE = 'siyu.console.locale';
const WORKSPACE_STORAGE = 'siyu.console.workspace';

/** The saved locale ('zh-CN' unless the operator chose English). */
export function loadLocale(): 'zh-CN' | 'en' {
  return window.localStorage.getItem(LOCALE_STORAGE) === 'en' ? 'en' : 'zh-CN';
}

/** Saves the chosen locale. */
export function saveLocale(locale: 'zh-CN' | 'en'): void {
  window.localStorage.setItem(LOCALE_STORAGE, locale);
}

/** The workspace to show: the last one chosen if the user still belongs to it, else their first. */
export function pickWorkspace(session: ConsoleSession): string | undefined {
  const saved = window.localStorage.getItem(WORKSPACE_STORAGE);
  return session.workspaces.find((w) => w.id === saved)?.id ?? session.workspaces[0]?.id;
}

/** Remembers the workspace chosen in the switcher. */
export function saveWorkspace(id: string): void {
  window.localStorage.setItem(WORKSPACE_STORAGE, id);
}

/** What every signed-in screen reads. */
export interface Session {
  api: Api;
  workspace: Workspace;
  user: ConsoleSession['user'];
  /** The user's role in the workspace shown (the API enforces it; the console hides what it would refuse). */
  role: Role;
  /** The WeCom staff id of a guide (their workbench). */
  wecomUserId: string | null;
  /** Tells the shell the workspace changed (renamed, new time zone), so the header and switcher show it. */
  workspaceChanged?: (workspace: Workspace) => void;
}

/** React context carrying the session (set in App once signed in). */
export const SessionContext = createContext<Session | null>(null);

/** The session; only used under a signed-in App. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}

/** Whether the role may change things (owner, operator); analysts and guides read. */
export function canChange(role: Role): boolean {
  return role === 'owner' || role === 'operator';
}
