/** The insight area (a chunk of its own): the insight overview, funnels, cohorts and CLV. */
export { ClvReportPage } from '../pages/ClvReport.tsx';
export { CohortTablePage } from '../pages/CohortTable.tsx';
export { FunnelBuilderPage } from '../pages/FunnelBuilder.tsx';
export { InsightOverviewPage } from '../pages/InsightOverview.tsx';
