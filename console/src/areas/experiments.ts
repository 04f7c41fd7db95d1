/** The experiments area (a chunk of its own): the list and an experiment's results. */
export { ExperimentListPage } from '../pages/ExperimentList.tsx';
export { ExperimentResultsPage } from '../pages/ExperimentResults.tsx';
