/**
 * A small history-API router: the console has a handful of screens, so a route table and a
 * `navigate` function are all it needs (no router dependency). Paths are relative to the
 * base (`/console/`); the server answers every unknown path under it with index.html.
 */
import { type MouseEvent, type ReactNode, useEffect, useState } from 'react';

const BASE = import.meta.env.BASE_URL; // '/console/'

/** The current path below the base, without leading or trailing slashes ('' for the base itself). */
export function currentPath(): string {
  const p = window.location.pathname;
  const rel = p.startsWith(BASE) ? p.slice(BASE.length) : p.replace(/^\//, '');
  return rel.replace(/\/+$/, '');
}

/** Goes to a path below the base (`segments/seg_1`), adding a history entry. */
export function navigate(path: string, replace = false): void {
  const url = BASE + path.replace(/^\//, '');
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
  window.scrollTo(0, 0);
}

/** The current path, re-rendering on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const on = () => setPath(currentPath());
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  return path;
}

/** The screen a path shows. */
export type Route =
  | { name: 'overview' }
  | { name: 'segments' }
  | { name: 'segment-new' }
  | { name: 'segment'; id: string }
  | { name: 'segment-edit'; id: string }
  | { name: 'rfm' }
  | { name: 'insight' }
  | { name: 'insight-funnels' }
  | { name: 'insight-cohorts' }
  | { name: 'surveys' }
  | { name: 'survey-new' }
  | { name: 'survey'; id: string }
  | { name: 'survey-edit'; id: string }
  | { name: 'workbench' }
  | { name: 'customers' }
  | { name: 'journeys' }
  | { name: 'journey'; id: string }
  | { name: 'customer'; id: string }
  | { name: 'users' }
  | { name: 'keys' }
  | { name: 'workspace-settings' }
  | { name: 'accept-invitation' }
  | { name: 'experiments' }
  | { name: 'experiment'; id: string }
  | { name: 'clv' }
  | { name: 'coupons' }
  | { name: 'coupon-new' }
  | { name: 'templates' }
  | { name: 'template-new' }
  | { name: 'template'; id: string }
  | { name: 'channels' }
  | { name: 'guardrails' }
  | { name: 'broadcasts' }
  | { name: 'broadcast-new' }
  | { name: 'broadcast'; id: string }
  | { name: 'consent-ledger' }
  | { name: 'scrm'; sub: string[] }
  | { name: 'not-found' };

/** The messaging screens below `messages/`. */
function matchMessages(parts: string[]): Route {
  const [area, id] = parts;
  if (parts.length === 0 || (area === 'templates' && parts.length === 1)) return { name: 'templates' };
  if (area === 'templates' && parts.length === 2) return id === 'new' ? { name: 'template-new' } : { name: 'template', id: id! };
  if (area === 'broadcasts' && parts.length === 1) return { name: 'broadcasts' };
  if (area === 'broadcasts' && parts.length === 2) return id === 'new' ? { name: 'broadcast-new' } : { name: 'broadcast', id: id! };
  if (parts.length === 1 && area === 'channels') return { name: 'channels' };
  if (parts.length === 1 && area === 'guardrails') return { name: 'guardrails' };
  if (parts.length === 1 && area === 'consent') return { name: 'consent-ledger' };
  return { name: 'not-found' };
}

/** Parses a path below the base. */
export function matchRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'overview')) return { name: 'overview' };
  if (parts.length === 1 && parts[0] === 'segments') return { name: 'segments' };
  if (parts[0] === 'segments' && parts.length === 2) return parts[1] === 'new' ? { name: 'segment-new' } : { name: 'segment', id: parts[1]! };
  if (parts[0] === 'segments' && parts.length === 3 && parts[2] === 'edit') return { name: 'segment-edit', id: parts[1]! };
  if (parts.length === 1 && parts[0] === 'rfm') return { name: 'rfm' };
  if (parts[0] === 'insight' && (parts.length === 1 || (parts.length === 2 && parts[1] === 'overview'))) return { name: 'insight' };
  if (parts[0] === 'insight' && parts.length === 2 && parts[1] === 'funnels') return { name: 'insight-funnels' };
  if (parts[0] === 'insight' && parts.length === 2 && parts[1] === 'cohorts') return { name: 'insight-cohorts' };
  if (parts[0] === 'surveys') {
    if (parts.length === 1) return { name: 'surveys' };
    if (parts.length === 2) return parts[1] === 'new' ? { name: 'survey-new' } : { name: 'survey', id: parts[1]! };
    if (parts.length === 3 && parts[2] === 'edit') return { name: 'survey-edit', id: parts[1]! };
  }
  if (parts.length === 1 && parts[0] === 'workbench') return { name: 'workbench' };
  if (parts.length === 1 && parts[0] === 'customers') return { name: 'customers' };
  if (parts.length === 1 && parts[0] === 'journeys') return { name: 'journeys' };
  if (parts.length === 2 && parts[0] === 'journeys') return { name: 'journey', id: parts[1]! };
  if (parts.length === 2 && parts[0] === 'customers') return { name: 'customer', id: parts[1]! };
  if (parts.length === 1 && parts[0] === 'accept-invitation') return { name: 'accept-invitation' };
  if (parts[0] === 'settings' && parts.length === 2 && parts[1] === 'users') return { name: 'users' };
  if (parts[0] === 'settings' && parts.length === 2 && parts[1] === 'keys') return { name: 'keys' };
  if (parts[0] === 'settings' && parts.length === 2 && parts[1] === 'workspace') return { name: 'workspace-settings' };
  if (parts[0] === 'experiments' && parts.length === 1) return { name: 'experiments' };
  if (parts[0] === 'experiments' && parts.length === 2) return { name: 'experiment', id: parts[1]! };
  if (parts.length === 2 && parts[0] === 'insight' && parts[1] === 'clv') return { name: 'clv' };
  if (parts[0] === 'coupons' && parts.length === 1) return { name: 'coupons' };
  if (parts[0] === 'coupons' && parts.length === 2 && parts[1] === 'new') return { name: 'coupon-new' };
  if (parts[0] === 'messages') return matchMessages(parts.slice(1));
  // The SCRM area routes its own paths (pages/scrm/ScrmArea.tsx).
  if (parts[0] === 'scrm') return { name: 'scrm', sub: parts.slice(1) };
  return { name: 'not-found' };
}

/** An in-app link: a real href (so open-in-new-tab works), navigating without a reload on a plain click. */
export function Link(props: { to: string; children: ReactNode; testId?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={BASE + props.to.replace(/^\//, '')} onClick={onClick} data-testid={props.testId}>
      {props.children}
    </a>
  );
}
