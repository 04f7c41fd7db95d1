/** The surveys area (a chunk of its own): the list, the editor and a survey's report. */
export { SurveyEditorPage } from '../pages/SurveyEditor.tsx';
export { SurveyListPage } from '../pages/SurveyList.tsx';
export { SurveyReportPage } from '../pages/SurveyReport.tsx';
