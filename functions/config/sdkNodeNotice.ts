/**
 * Imported first by our command-line entry points. On Node 20 the AWS SDK prints a 9-line
 * NodeVersionSupportWarning (SDK releases after the first week of January 2027 need Node 22)
 * from every client it creates, which buried our own output. The SDK documents this switch
 * for it (AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, read when a client is created);
 * an explicit value from the user wins. Lambda runs Node 22, where the SDK never warns.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
