/**
 * What bundle code raises (through ctx.elicit / ctx.sample / ctx.listRoots / ctx.requestInputs) when a 2026-07-28
 * request needs input the client has not given yet. The engine turns it into an InputRequiredResult.
 */
export interface InputRequest {
  method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
  params: Record<string, unknown>;
}

export class InputRequired extends Error {
  override readonly name = 'InputRequired';
  constructor(readonly requests: Record<string, InputRequest>) {
    super('input required');
  }
}

/** The answers available to one run of bundle code in the stateless era. */
export interface ModernRound {
  answers: Record<string, unknown>;
}

/** The client capability a server→client request needs, as `requiredCapabilities` names it. */
export function capabilityFor(request: InputRequest): Record<string, unknown> {
  if (request.method === 'sampling/createMessage') return { sampling: {} };
  if (request.method === 'roots/list') return { roots: {} };
  return request.params['mode'] === 'url' ? { elicitation: { url: {} } } : { elicitation: {} };
}

/** True when the declared client capabilities cover the request. */
export function declares(capabilities: Record<string, unknown>, request: InputRequest): boolean {
  if (request.method === 'sampling/createMessage') return capabilities['sampling'] != null;
  if (request.method === 'roots/list') return capabilities['roots'] != null;
  const elicitation = capabilities['elicitation'] as Record<string, unknown> | undefined | null;
  if (elicitation == null) return false;
  return request.params['mode'] !== 'url' || elicitation['url'] != null;
}
