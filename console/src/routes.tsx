/**
 * The console's route table for react-router (`router.tsx` creates the router from it): the shell
 * (`App.tsx`) is the root and renders the matched screen in its content area. Each menu area's
 * screens are a chunk of their own (`src/areas/*.ts`), loaded the first time one of them is
 * opened, so the first visit loads only the shell, React and Ant Design. A route's `handle` names
 * the menu entry it belongs to, which the shell highlights and checks the role against.
 */
import { Button, Result } from 'antd';
import { type ComponentType, lazy, type ReactNode } from 'react';
import { type Params, type RouteObject, useParams, useRouteError } from 'react-router';
import { App, type RouteHandle, scrmNavKey } from './App.tsx';
import { useI18n } from './i18n.ts';
import { navigate } from './router.tsx';
import { useSession } from './session.ts';

/** A screen exported by an area module, as a component React loads (with the area's chunk) when it first renders. */
function screen<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  // lazy() types the component by its props; the cast gives back the export's own type (the props it takes).
  return lazy(async () => ({ default: (await load())[name] as unknown as ComponentType<object> })) as unknown as M[K];
}

const overview = () => import('./areas/overview.ts');
const customers = () => import('./areas/customers.ts');
const segments = () => import('./areas/segments.ts');
const journeys = () => import('./areas/journeys.ts');
const experiments = () => import('./areas/experiments.ts');
const insight = () => import('./areas/insight.ts');
const surveys = () => import('./areas/surveys.ts');
const coupons = () => import('./areas/coupons.ts');
const members = () => import('./areas/members.ts');
const referrals = () => import('./areas/referrals.ts');
const rewards = () => import('./areas/rewards.ts');
const messages = () => import('./areas/messages.ts');
const scrm = () => import('./areas/scrm.ts');
const workbench = () => import('./areas/workbench.ts');
const settings = () => import('./areas/settings.ts');

const OverviewPage = screen(overview, 'OverviewPage');
const CustomerListPage = screen(customers, 'CustomerListPage');
const CustomerProfilePage = screen(customers, 'CustomerProfilePage');
const SegmentListPage = screen(segments, 'SegmentListPage');
const SegmentDetailPage = screen(segments, 'SegmentDetailPage');
const SegmentEditorPage = screen(segments, 'SegmentEditorPage');
const RfmReportPage = screen(segments, 'RfmReportPage');
const JourneyListPage = screen(journeys, 'JourneyListPage');
const JourneyEditorPage = screen(journeys, 'JourneyEditorPage');
const ExperimentListPage = screen(experiments, 'ExperimentListPage');
const ExperimentResultsPage = screen(experiments, 'ExperimentResultsPage');
const InsightOverviewPage = screen(insight, 'InsightOverviewPage');
const FunnelBuilderPage = screen(insight, 'FunnelBuilderPage');
const CohortTablePage = screen(insight, 'CohortTablePage');
const ClvReportPage = screen(insight, 'ClvReportPage');
const SurveyListPage = screen(surveys, 'SurveyListPage');
const SurveyEditorPage = screen(surveys, 'SurveyEditorPage');
const SurveyReportPage = screen(surveys, 'SurveyReportPage');
const CouponTemplateListPage = screen(coupons, 'CouponTemplateListPage');
const CouponTemplateEditorPage = screen(coupons, 'CouponTemplateEditorPage');
const MemberListPage = screen(members, 'MemberListPage');
const MemberDetailPage = screen(members, 'MemberDetailPage');
const TierEditorPage = screen(members, 'TierEditorPage');
const EarningRulesPage = screen(members, 'EarningRulesPage');
const ReferralSettingsPage = screen(referrals, 'ReferralSettingsPage');
const ReferralDecisionsPage = screen(referrals, 'ReferralDecisionsPage');
const ReferralLeaderboardPage = screen(referrals, 'ReferralLeaderboardPage');
const CatalogueItemListPage = screen(rewards, 'CatalogueItemListPage');
const LotteryListPage = screen(rewards, 'LotteryListPage');
const GroupBuyListPage = screen(rewards, 'GroupBuyListPage');
const TemplateListPage = screen(messages, 'TemplateListPage');
const TemplateEditorPage = screen(messages, 'TemplateEditorPage');
const BroadcastListPage = screen(messages, 'BroadcastListPage');
const BroadcastNewPage = screen(messages, 'BroadcastNewPage');
const BroadcastDetailPage = screen(messages, 'BroadcastDetailPage');
const ChannelsPage = screen(messages, 'ChannelsPage');
const GuardrailsPage = screen(messages, 'GuardrailsPage');
const ConsentLedgerPage = screen(messages, 'ConsentLedgerPage');
const ScrmArea = screen(scrm, 'ScrmArea');
const WorkbenchPage = screen(workbench, 'WorkbenchPage');
const UsersPage = screen(settings, 'UsersPage');
const ApiKeysPage = screen(settings, 'ApiKeysPage');
const WorkspaceSettingsPage = screen(settings, 'WorkspaceSettingsPage');
const AuditLogPage = screen(settings, 'AuditLogPage');
const PrivacyRequestsPage = screen(settings, 'PrivacyRequestsPage');
const RetentionPage = screen(settings, 'RetentionPage');

/** The screen of a path with an `:id`, keyed by it so that another id starts a fresh screen. */
function WithId({ of }: { of: (id: string) => ReactNode }) {
  const { id = '' } = useParams();
  return of(id);
}

/** The home screen: a guide's is the workbench, everyone else's the overview. */
function Home() {
  return useSession().role === 'guide' ? <WorkbenchPage /> : <OverviewPage />;
}

/** The segment list; a guide (who has no segments) gets the workbench instead. */
function SegmentsHome() {
  return useSession().role === 'guide' ? <WorkbenchPage /> : <SegmentListPage />;
}

/** The SCRM area, which routes the path below `scrm/` itself. */
function Scrm() {
  const splat = useParams()['*'] ?? '';
  // react-router has already decoded the path's segments.
  return <ScrmArea sub={splat.split('/').filter(Boolean)} />;
}

/** A path the console does not know, with a way back to the role's home. */
function NotFound() {
  const { t } = useI18n();
  const home = useSession().role === 'guide' ? 'workbench' : 'overview';
  return <Result status="404" title="404" subTitle={t('notFound')} extra={<Button onClick={() => navigate(home)}>{t('back')}</Button>} />;
}

/** A screen that failed to render or whose chunk did not load (say, after an upgrade): the header stays, the screen offers a reload. */
function ScreenError() {
  const { t } = useI18n();
  const error = useRouteError();
  return (
    <Result
      status="error"
      title={t('screenFailed')}
      subTitle={error instanceof Error ? error.message : undefined}
      extra={<Button onClick={() => window.location.reload()}>{t('reload')}</Button>}
      data-testid="screen-error"
    />
  );
}

/** A route of a menu entry: only the roles that see the entry open it. */
const guarded = (nav: RouteHandle['nav']): RouteHandle => ({ nav });
/** A route every signed-in role opens (the screen decides what the role sees, the API refuses the rest). */
const open = (nav: RouteHandle['nav']): RouteHandle => ({ nav, open: true });

/** A route below the shell: a path, its screen and its menu entry. */
function route(path: string, element: ReactNode, handle: RouteHandle): RouteObject {
  return { path, element, handle };
}

/** The routes, below the base `/console/`. Static segments (`segments/new`) win over parameters (`segments/:id`). */
export const routes: RouteObject[] = [
  {
    path: '/',
    element: <App />,
    children: [
      {
        // A pathless layer so that a screen's error shows inside the shell, not instead of it.
        errorElement: <ScreenError />,
        children: [
          { index: true, element: <Home />, handle: open('overview') },
          route('overview', <Home />, open('overview')),
          route('customers', <CustomerListPage />, guarded('customers')),
          // A guide opens the customers they follow (the API refuses the others).
          route('customers/:id', <WithId of={(id) => <CustomerProfilePage key={id} id={id} />} />, open('customers')),
          route('segments', <SegmentsHome />, open('segments')),
          route('segments/new', <SegmentEditorPage key="new" />, guarded('segments')),
          route('segments/:id', <WithId of={(id) => <SegmentDetailPage key={id} id={id} />} />, guarded('segments')),
          route('segments/:id/edit', <WithId of={(id) => <SegmentEditorPage key={`edit-${id}`} id={id} />} />, guarded('segments')),
          route('rfm', <RfmReportPage />, guarded('rfm')),
          route('journeys', <JourneyListPage />, guarded('journeys')),
          route('journeys/:id', <WithId of={(id) => <JourneyEditorPage key={id} id={id} />} />, guarded('journeys')),
          route('experiments', <ExperimentListPage />, guarded('experiments')),
          route('experiments/:id', <WithId of={(id) => <ExperimentResultsPage key={id} id={id} />} />, guarded('experiments')),
          route('insight', <InsightOverviewPage />, guarded('insight/overview')),
          route('insight/overview', <InsightOverviewPage />, guarded('insight/overview')),
          route('insight/funnels', <FunnelBuilderPage />, guarded('insight/funnels')),
          route('insight/cohorts', <CohortTablePage />, guarded('insight/cohorts')),
          route('insight/clv', <ClvReportPage />, guarded('insight/clv')),
          route('messages', <TemplateListPage />, guarded('messages/templates')),
          route('messages/templates', <TemplateListPage />, guarded('messages/templates')),
          route('messages/templates/new', <TemplateEditorPage key="new" />, guarded('messages/templates')),
          route('messages/templates/:id', <WithId of={(id) => <TemplateEditorPage key={id} id={id} />} />, guarded('messages/templates')),
          route('messages/broadcasts', <BroadcastListPage />, guarded('messages/broadcasts')),
          route('messages/broadcasts/new', <BroadcastNewPage />, guarded('messages/broadcasts')),
          route('messages/broadcasts/:id', <WithId of={(id) => <BroadcastDetailPage key={id} id={id} />} />, guarded('messages/broadcasts')),
          route('messages/channels', <ChannelsPage />, guarded('messages/channels')),
          route('messages/guardrails', <GuardrailsPage />, guarded('messages/guardrails')),
          route('messages/consent', <ConsentLedgerPage />, guarded('messages/consent')),
          route('surveys', <SurveyListPage />, guarded('surveys')),
          route('surveys/new', <SurveyEditorPage key="new" />, guarded('surveys')),
          route('surveys/:id', <WithId of={(id) => <SurveyReportPage key={id} id={id} />} />, guarded('surveys')),
          route('surveys/:id/edit', <WithId of={(id) => <SurveyEditorPage key={`edit-${id}`} id={id} />} />, guarded('surveys')),
          route('coupons', <CouponTemplateListPage />, guarded('coupons')),
          route('coupons/new', <CouponTemplateEditorPage />, guarded('coupons')),
          route('loyalty/members', <MemberListPage />, guarded('loyalty/members')),
          route('loyalty/members/:id', <WithId of={(id) => <MemberDetailPage key={id} id={id} />} />, guarded('loyalty/members')),
          route('loyalty/tiers', <TierEditorPage />, guarded('loyalty/tiers')),
          route('loyalty/rules', <EarningRulesPage />, guarded('loyalty/rules')),
          route('referrals', <ReferralLeaderboardPage />, guarded('referrals/koc')),
          route('referrals/koc', <ReferralLeaderboardPage />, guarded('referrals/koc')),
          route('referrals/decisions', <ReferralDecisionsPage />, guarded('referrals/decisions')),
          route('referrals/settings', <ReferralSettingsPage />, guarded('referrals/settings')),
          route('growth', <CatalogueItemListPage />, guarded('growth/catalogue')),
          route('growth/catalogue', <CatalogueItemListPage />, guarded('growth/catalogue')),
          route('growth/lotteries', <LotteryListPage />, guarded('growth/lotteries')),
          route('growth/group-buys', <GroupBuyListPage />, guarded('growth/group-buys')),
          route(
            'scrm/*',
            <Scrm />,
            guarded((params: Params) => scrmNavKey((params['*'] ?? '').split('/').filter(Boolean))),
          ),
          route('workbench', <WorkbenchPage />, guarded('workbench')),
          route('settings/workspace', <WorkspaceSettingsPage />, guarded('settings/workspace')),
          route('settings/users', <UsersPage />, guarded('settings/users')),
          route('settings/keys', <ApiKeysPage />, guarded('settings/keys')),
          route('settings/audit', <AuditLogPage />, guarded('settings/audit')),
          route('settings/privacy', <PrivacyRequestsPage />, guarded('settings/privacy')),
          route('settings/retention', <RetentionPage />, guarded('settings/retention')),
          route('*', <NotFound />, open('')),
        ],
      },
    ],
  },
];
