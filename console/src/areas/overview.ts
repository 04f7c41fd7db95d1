/** The overview area (a chunk of its own, with ECharts loaded by its charts): the figures and charts. */
export { OverviewPage } from '../pages/overview/Overview.tsx';
