/** Customer groups: list, members, growth and churn, group tags (group live codes live in ../livecodes). */
export { groupRoutes } from './groups.routes.js';
export { listGroups, getGroup, groupStats, groupTags, changeGroupTags, groupTagCatalogue, groupsWithTags, validateGroupTags } from './groups.service.js';
