/** Who is asking, as far as the services need to know (audit, sessions). */
export interface RequestContext {
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}
