/**
 * Every secret the tests hand to the app (passwords, tokens). Each test environment checks, when it
 * closes, that none of them appears in any log line it captured: the whole HTTP suite doubles as
 * a log-leak test.
 */
const secrets = new Set<string>();

export function rememberSecret(...values: string[]): void {
  for (const v of values) if (v.length >= 8) secrets.add(v);
}

export function leakedSecrets(text: string): string[] {
  return [...secrets].filter((s) => text.includes(s));
}
