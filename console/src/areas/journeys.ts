/** The journeys area (a chunk of its own; the canvas is a further chunk the editor loads): the list and the editor. */
export { JourneyEditorPage } from '../pages/journeys/JourneyEditor.tsx';
export { JourneyListPage } from '../pages/journeys/JourneyList.tsx';
