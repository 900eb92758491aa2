/**
 * The management API's schema. Operation, argument and field names are the older engine's (its clients send the
 * same texts unchanged); lists keep its `{<entity>List, pageSize, pageNumber, total}` shape and add a keyset
 * `nextCursor` (pass it back as `after`). Argument types match the older engine's, so its typed variables
 * (`$timeSpent: Int`, `$classes: [JSON]`, `$annotations: String`) validate.
 */
export const schema = /* GraphQL */ `
  scalar JSON

  type McpFunction {
    endpointId: String!
    partitionKey: String!
    name: String!
    mcpType: String!
    description: String
    data: JSON
    annotations: String
    moduleName: String
    className: String
    functionName: String
    returnType: String
    isAsync: Boolean
    "Per-call time limit in ms at the worker and process levels (null: the daemon default)."
    timeoutMs: Int
    updatedBy: String
    createdAt: String
    updatedAt: String
    "The module serving this function (batched: one store read per page)."
    module: McpModule
  }

  type McpFunctionCall {
    endpointId: String!
    partitionKey: String!
    mcpFunctionCallUuid: String!
    name: String
    mcpType: String
    arguments: JSON
    "The result; read back from the blob store when it was offloaded there."
    content: JSON
    contentInS3: Boolean
    status: String
    notes: String
    "Milliseconds, with sub-millisecond precision."
    timeSpent: Float
    structuredContent: JSON
    principal: String
    bundleVersion: String
    "Protocol version of the call (2026-07-28 for the stateless era)."
    era: String
    sessionId: String
    requestId: JSON
    "Where the code ran: inline (the daemon's thread), worker or process."
    isolation: String
    updatedBy: String
    createdAt: String
    updatedAt: String
  }

  type McpModule {
    endpointId: String!
    partitionKey: String!
    moduleName: String!
    packageName: String
    classes: [JSON]
    source: String
    bundleVersion: String
    bundleSha256: String
    updatedBy: String
    createdAt: String
    updatedAt: String
  }

  type McpSetting {
    endpointId: String!
    partitionKey: String!
    settingId: String!
    setting: JSON
    updatedBy: String
    createdAt: String
    updatedAt: String
  }

  type McpFunctionList {
    mcpFunctionList: [McpFunction!]!
    pageSize: Int!
    pageNumber: Int!
    total: Int!
    nextCursor: String
  }
  type McpFunctionCallList {
    mcpFunctionCallList: [McpFunctionCall!]!
    pageSize: Int!
    pageNumber: Int!
    total: Int!
    nextCursor: String
  }
  type McpModuleList {
    mcpModuleList: [McpModule!]!
    pageSize: Int!
    pageNumber: Int!
    total: Int!
    nextCursor: String
  }
  type McpSettingList {
    mcpSettingList: [McpSetting!]!
    pageSize: Int!
    pageNumber: Int!
    total: Int!
    nextCursor: String
  }

  "An API key as shown to admins (never its secret)."
  type ApiKey {
    id: String!
    endpointId: String!
    role: String!
    label: String
    createdAt: String!
    createdBy: String
    expiresAt: String
    revokedAt: String
  }
  type CreatedApiKey {
    "The key itself: shown this once, never stored."
    key: String!
    apiKey: ApiKey!
  }

  type Query {
    ping: String!
    "This endpoint's API keys (admins)."
    apiKeyList: [ApiKey!]!
    mcpFunction(name: String!): McpFunction
    mcpFunctionList(
      pageNumber: Int
      limit: Int
      after: String
      mcpType: String
      description: String
      moduleName: String
      className: String
      functionName: String
    ): McpFunctionList!
    mcpFunctionCall(mcpFunctionCallUuid: String!): McpFunctionCall
    mcpFunctionCallList(
      pageNumber: Int
      limit: Int
      after: String
      mcpType: String
      name: String
      status: String
      updatedAtGt: String
      updatedAtLt: String
    ): McpFunctionCallList!
    mcpModule(moduleName: String!): McpModule
    mcpModuleList(
      pageNumber: Int
      limit: Int
      after: String
      moduleName: String
      packageName: String
      mcpType: String
      description: String
      className: String
      functionName: String
    ): McpModuleList!
    mcpSetting(settingId: String!): McpSetting
    mcpSettingList(pageNumber: Int, limit: Int, after: String, settingId: String): McpSettingList!
  }

  type McpFunctionPayload {
    mcpFunction: McpFunction
  }
  type McpFunctionCallPayload {
    mcpFunctionCall: McpFunctionCall
  }
  type McpModulePayload {
    mcpModule: McpModule
  }
  type McpSettingPayload {
    mcpSetting: McpSetting
  }
  type DeletePayload {
    ok: Boolean!
  }
  type LoadPayload {
    ok: Boolean!
    message: String
  }
  type DeployPayload {
    ok: Boolean!
    message: String
    packageName: String
    bundleVersion: String
    bundleSha256: String
    functions: [String!]
    removed: [String!]
  }

  type Mutation {
    insertUpdateMcpFunction(
      name: String!
      mcpType: String!
      description: String
      data: JSON
      annotations: String
      moduleName: String
      className: String
      functionName: String
      returnType: String
      isAsync: Boolean
      timeoutMs: Int
      updatedBy: String!
    ): McpFunctionPayload
    deleteMcpFunction(name: String!): DeletePayload
    insertUpdateMcpFunctionCall(
      mcpFunctionCallUuid: String
      name: String
      mcpType: String
      arguments: JSON
      content: JSON
      contentInS3: Boolean
      status: String
      notes: String
      timeSpent: Int
      updatedBy: String!
    ): McpFunctionCallPayload
    deleteMcpFunctionCall(mcpFunctionCallUuid: String!): DeletePayload
    insertUpdateMcpModule(
      moduleName: String!
      packageName: String!
      classes: [JSON]
      source: String
      updatedBy: String!
    ): McpModulePayload
    deleteMcpModule(moduleName: String!): DeletePayload
    insertUpdateMcpSetting(settingId: String, setting: JSON, updatedBy: String!): McpSettingPayload
    deleteMcpSetting(settingId: String!): DeletePayload
    loadMcpConfiguration(
      packageName: String
      moduleName: String
      source: String
      mcpConfiguration: JSON
      variables: JSON
      updatedBy: String!
    ): LoadPayload
    "Creates an API key for this endpoint with a role (caller, editor, admin); the key is in the answer only."
    createApiKey(role: String!, label: String, expiresAt: String): CreatedApiKey
    revokeApiKey(id: String!): DeletePayload
    "Uploads a bundle (a zip, base64) and registers its manifest (mcp.json inside, or the one given)."
    deployBundle(zipBase64: String!, packageName: String, manifest: JSON, updatedBy: String!): DeployPayload
  }
`;
