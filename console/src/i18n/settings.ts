/** Strings of Settings → Workspace, API keys' last use and the invitation email (merged into i18n.ts's dictionaries). */

/** English. */
export const settingsEn = {
  navWorkspace: 'Workspace',
  workspaceTitle: 'Workspace settings',
  workspaceHelp: 'The brand this workspace holds. Its name is shown in the header and in invitation emails.',
  workspaceName: 'Workspace name',
  workspaceNameRequired: 'Enter a name',
  workspaceId: 'Workspace id',
  workspaceTimeZone: 'Time zone',
  workspaceTimeZoneHelp:
    'Local days and times of this workspace: reports\' days, quiet hours, journey waits such as "at 10:00", birthdays, daily frequency caps and broadcast schedules.',
  workspaceTimeZonePick: 'Search a zone, e.g. Shanghai',
  timeZoneServerDefault: 'server default',
  timeZoneLocalNow: 'Time there now: {time}',
  workspaceOwnerOnly: 'Only an owner can change these settings; you can read them.',
  workspaceSaved: 'Workspace settings saved.',
  keyLastUsed: 'Last used',
  keyNeverUsed: 'Never',
  keyLastUsedHelp: 'The last use of a key is recorded at most once a minute.',
  invitationEmailSent: 'An invitation email with this link was sent to {email}.',
  invitationEmailNotConfigured: 'No email was sent: this workspace has no email (SMTP) channel. Send this link to {email} yourself.',
  invitationEmailFailed: 'The invitation email to {email} could not be sent. Send this link yourself.',
  invitationEmailHint: 'When the workspace has an email (SMTP) channel, the link is emailed in the language of this console.',
};

/** 简体中文. */
export const settingsZh: Record<keyof typeof settingsEn, string> = {
  navWorkspace: '工作空间',
  workspaceTitle: '工作空间设置',
  workspaceHelp: '此工作空间对应的品牌。名称显示在页头和邀请邮件中。',
  workspaceName: '工作空间名称',
  workspaceNameRequired: '请输入名称',
  workspaceId: '工作空间 ID',
  workspaceTimeZone: '时区',
  workspaceTimeZoneHelp: '此工作空间的本地日期和时间：报表的日期、免打扰时段、旅程中“10:00 发送”之类的等待、生日、每日频次上限和群发排期。',
  workspaceTimeZonePick: '搜索时区，例如 Shanghai',
  timeZoneServerDefault: '服务器默认',
  timeZoneLocalNow: '当地现在：{time}',
  workspaceOwnerOnly: '只有所有者可以修改这些设置；你可以查看。',
  workspaceSaved: '工作空间设置已保存。',
  keyLastUsed: '最近使用',
  keyNeverUsed: '从未使用',
  keyLastUsedHelp: '密钥的最近使用时间每分钟最多记录一次。',
  invitationEmailSent: '已向 {email} 发送包含此链接的邀请邮件。',
  invitationEmailNotConfigured: '未发送邮件：此工作空间尚未配置邮件（SMTP）渠道。请自行把此链接发给 {email}。',
  invitationEmailFailed: '发往 {email} 的邀请邮件发送失败，请自行发送此链接。',
  invitationEmailHint: '工作空间配置了邮件（SMTP）渠道时，邀请链接会以当前控制台的语言通过邮件发送。',
};
