// The AWS SDK warns once per process that its releases after January 2027 need
// Node.js 22. That is about this machine's Node.js 20, not the functions' Node.js
// 24 runtime; the preflight tests, which call the SDK outside the handler tests'
// environment (test/lambda/support/lambda-env.ts), would print it in every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
