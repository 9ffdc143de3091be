// Types the console's modules share; a module of its own so that no two modules import each other.

export interface Me {
  token: { id: string; role: 'owner' | 'moderator'; site: string | null; label: string };
  sites: { id: string; name: string }[];
}

/** `site` is the current site's page (embed, install check, preview), reached from `sites`. */
export type View = 'queue' | 'pages' | 'bans' | 'log' | 'settings' | 'tokens' | 'sites' | 'site';

export interface App {
  me: Me;
  site: string;
  view: View;
  root: HTMLElement;
  main: HTMLElement;
  queue: QueueState;
  go(view: View): void;
  refresh(): void;
  toast(message: string, opts?: { undo?: () => void; error?: boolean }): void;
  showHelp(): void;
}

export interface QueueItem {
  id: string;
  parentId: string | null;
  status: string;
  page: { key: string; title: string | null; url: string | null; closed: boolean };
  author: { name: string; email: string; website: string | null; avatar: string };
  html: string;
  body: string;
  createdAt: string;
  reasons: { code: string; detail: string }[];
  reports: { count: number; items: { reason: string; note: string | null; createdAt: string }[] };
  ipHash: string | null;
  userAgent: string | null;
  parent: { id: string; authorName: string; excerpt: string } | null;
}

export type Action = 'approve' | 'reject' | 'spam' | 'delete' | 'restore';

/** An action waits a few seconds before it is sent, so that Undo is just not sending it. */
export interface PendingAction {
  /** The site it was taken on: the moderator may switch sites before it is sent. */
  site: string;
  action: Action;
  ids: string[];
  trustAuthor: boolean;
  removed: { item: QueueItem; index: number }[];
  timer: ReturnType<typeof setTimeout>;
}

export interface QueueState {
  status: string;
  q: string;
  email: string;
  page: string;
  items: QueueItem[];
  cursor: string | null;
  focus: number;
  selected: Set<string>;
  counts: Record<string, number>;
  pending: PendingAction | null;
  loading: boolean;
  error: string | null;
  /** Set when the list shown matches these filters. */
  loadedFor?: string;
}

