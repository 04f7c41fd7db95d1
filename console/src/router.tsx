/**
 * The console's navigation helpers over react-router's data router (library mode, basename
 * `/console/`). The route table is `routes.tsx`; the screens keep calling `navigate(path)` and
 * rendering `<Link to>` with paths relative to the base (`segments/seg_1`), so they do not depend
 * on react-router's API. The server answers every unknown path under the base with index.html.
 */
import type { ReactNode } from 'react';
import { createBrowserRouter, Link as RouterLink, type RouteObject, useLocation } from 'react-router';

/** The console's base without its trailing slash (`/console`), react-router's basename. */
const BASENAME = import.meta.env.BASE_URL.replace(/\/+$/, '');

type ConsoleRouter = ReturnType<typeof createBrowserRouter>;

// The page's one router, kept here so that `navigate` works from event handlers and callbacks
// that are outside React's tree (API error handlers, menu clicks) without every screen taking
// react-router's `useNavigate` hook.
let router: ConsoleRouter | undefined;

/** Creates the browser router of the console for a route table (once, in main.tsx). */
export function createConsoleRouter(routes: RouteObject[]): ConsoleRouter {
  router = createBrowserRouter(routes, { basename: BASENAME });
  return router;
}

/** A path relative to the base as react-router's absolute path below the basename (`segments` → `/segments`). */
function absolute(path: string): string {
  return `/${path.replace(/^\/+/, '')}`;
}

/** Goes to a path below the base (`segments/seg_1`), adding a history entry (or replacing the current one). */
export function navigate(path: string, replace = false): void {
  if (!router) throw new Error('navigate() was called before createConsoleRouter()');
  void router.navigate(absolute(path), { replace });
}

/** The current path below the base, without leading or trailing slashes ('' for the base itself); re-renders on navigation. */
export function usePath(): string {
  return useLocation().pathname.replace(/^\/+|\/+$/g, '');
}

/** An in-app link: a real href (so open-in-new-tab works), navigating without a reload on a plain click. */
export function Link(props: { to: string; children: ReactNode; testId?: string }) {
  return (
    <RouterLink to={absolute(props.to)} data-testid={props.testId}>
      {props.children}
    </RouterLink>
  );
}
