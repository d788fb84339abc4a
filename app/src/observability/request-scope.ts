import { AsyncLocalStorage } from 'node:async_hooks';

/** Who the current work is for: lets layers without a request object (SQL) log the request id. */
export interface RequestScope {
  reqId: string;
  userId?: number;
}

export const requestScope = new AsyncLocalStorage<RequestScope>();

export function currentRequestId(): string | undefined {
  return requestScope.getStore()?.reqId;
}
