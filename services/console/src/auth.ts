import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Login by a token read from a file: the login form sets a cookie derived from the token (an HMAC, so the token itself
 * never travels again), and scripts may send `Authorization: Bearer <token>`. Every form that acts (replay, logout)
 * carries a second value derived from the token (CSRF): a page of another site cannot make the browser replay.
 */
export class Auth {
  readonly cookieName = 'passerelle_console';
  private readonly session: string;
  readonly csrf: string;

  constructor(private readonly token: string) {
    this.session = createHmac('sha256', token).update('session').digest('hex');
    this.csrf = createHmac('sha256', token).update('csrf').digest('hex');
  }

  private static same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }

  tokenMatches(given: string): boolean {
    return Auth.same(given.trim(), this.token);
  }

  csrfMatches(given: string | undefined): boolean {
    return given !== undefined && Auth.same(given, this.csrf);
  }

  /** The Set-Cookie header of a logged-in browser: HttpOnly, SameSite=Strict, for the session only. */
  cookie(): string {
    return `${this.cookieName}=${this.session}; HttpOnly; SameSite=Strict; Path=/`;
  }

  logoutCookie(): string {
    return `${this.cookieName}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  loggedIn(req: IncomingMessage): boolean {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) return this.tokenMatches(bearer);
    const cookies = (req.headers.cookie ?? '').split(';').map((c) => c.trim());
    const mine = cookies.find((c) => c.startsWith(`${this.cookieName}=`))?.slice(this.cookieName.length + 1);
    return mine !== undefined && Auth.same(mine, this.session);
  }
}
