// Problems found in configuration data, collected rather than thrown: every one is reported at
// once, each naming where it is (the key as the user wrote it) and the host it belongs to.

/** One problem (or warning) found in the configuration, before it is formatted for display. */
export interface ConfigIssue {
  /** Dotted snake_case path as the user wrote it, e.g. `hosts[2].tls.cert`; '' = the whole file. */
  path: string;
  /** The host's name, when the issue is inside a hosts[] item that has a usable one. */
  host?: string;
  message: string;
}

interface Sink {
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
  host?: string;
}

/** A collector at one place of the data: `at()` makes one for a key below, sharing the lists. */
export class Issues {
  private constructor(
    private readonly sink: Sink,
    readonly prefix: string,
  ) {}

  static root(prefix = ''): Issues {
    return new Issues({ issues: [], warnings: [] }, prefix);
  }

  get issues(): readonly ConfigIssue[] {
    return this.sink.issues;
  }

  get warnings(): readonly ConfigIssue[] {
    return this.sink.warnings;
  }

  /** Issues found so far, wherever they are. */
  get count(): number {
    return this.sink.issues.length;
  }

  /** The host the issues from here on belong to (a hosts[] item's name, once it is known). */
  set host(name: string) {
    this.sink.host = name;
  }

  get host(): string | undefined {
    return this.sink.host;
  }

  /** A collector for `key` below this place, with its own host; '' is this place. */
  item(key: string): Issues {
    return new Issues({ issues: this.sink.issues, warnings: this.sink.warnings }, this.path(key));
  }

  /** The same collector (and host) at `key` below this place. */
  at(key: string): Issues {
    return new Issues(this.sink, this.path(key));
  }

  add(key: string, message: string): void {
    this.sink.issues.push(this.issue(key, message));
  }

  warn(key: string, message: string): void {
    this.sink.warnings.push(this.issue(key, message));
  }

  path(key: string): string {
    if (key === '') return this.prefix;
    if (this.prefix === '' || key.startsWith('[')) return `${this.prefix}${key}`;
    return `${this.prefix}.${key}`;
  }

  private issue(key: string, message: string): ConfigIssue {
    const issue: ConfigIssue = { path: this.path(key), message };
    if (this.sink.host !== undefined) issue.host = this.sink.host;
    return issue;
  }
}
