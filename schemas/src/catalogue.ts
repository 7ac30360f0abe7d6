/**
 * What the pipeline is, in one place: the LGO event families, the topics between the stages, the stages (what each
 * reads and writes) and the states a document goes through. Everything else (which topics to create, what a stage
 * consumes, which states end a document's journey, where dead letters are) is derived from these tables by
 * `@passerelle/pipeline`; no other package names a topic.
 *
 * A new event family is one row in FAMILIES, its Avro schema in `avro/`, its document builder in `@passerelle/cda`
 * (the builder table is keyed by family, so the compiler asks for it) and its routing defaults in the router.
 */

/** How long a topic keeps its records, and how (the settings of each class are in `@passerelle/pipeline`). */
export type RetentionClass =
  /** the broker's default retention: a stream between stages */
  | 'stream'
  /** compacted: the last record of each key is kept for good */
  | 'compacted'
  /** the retry tiers of a stage's input (written by the runtime, read back by the retrier) */
  | 'retry'
  /** dead letters: kept long (30 days), better to alert on disk than to drop silently */
  | 'dead-letter';

export interface FamilyEntry {
  /** The family's name in code (`EventFamily`) */
  family: string;
  /** The topic the LGO publishes it to; its value schema is `avro/<topic>.avsc`, its subject `<topic>-value` */
  topic: string;
  /** The field of an event that holds its family's body (and tells its family: an event holds exactly one) */
  bodyField: string;
  /** The document kinds an event of the family becomes (the builder chooses among them) */
  documentKinds: readonly string[];
}

export const FAMILIES = [
  { family: 'vaccination', topic: 'lgo.vaccination.v1', bodyField: 'vaccination', documentKinds: ['vaccination-note'] },
  { family: 'dispensation', topic: 'lgo.dispensation.v1', bodyField: 'dispensation', documentKinds: ['dispensation'] },
  {
    family: 'medicationReview',
    topic: 'lgo.medication-review.v1',
    bodyField: 'review',
    documentKinds: ['medication-review', 'pharmaceutical-interview'],
  },
] as const satisfies readonly FamilyEntry[];

export type EventFamily = (typeof FAMILIES)[number]['family'];
export type EventTopic = (typeof FAMILIES)[number]['topic'];

export interface TopicEntry {
  /** The topic's name (before a deployment's prefix); its value schema is `avro/<name>.avsc` */
  name: string;
  retention: RetentionClass;
  /** Partitions when created (default: the deployment's, 6 on the local stack) */
  partitions?: number;
}

/** The topics the pipeline writes between its stages, by role. */
export const PIPELINE_TOPICS = {
  composed: { name: 'documents.composed', retention: 'stream' },
  signed: { name: 'documents.signed', retention: 'stream' },
  dmp: { name: 'dmp.submissions', retention: 'stream' },
  mss: { name: 'mss.messages', retention: 'stream' },
  status: { name: 'documents.status', retention: 'compacted' },
  // One partition: the replay log is read whole by every replay, in order.
  replayed: { name: 'dead-letters.replayed', retention: 'compacted', partitions: 1 },
} as const satisfies Record<string, TopicEntry>;

export type PipelineRole = keyof typeof PIPELINE_TOPICS;
/** A topic by its role: an event family's topic, or one of the pipeline's. */
export type TopicRole = EventFamily | PipelineRole;

export interface StageEntry {
  /** The topics the stage consumes (by role; `events` = every family's topic; `retries` = every stage's retry tiers) */
  inputs: readonly (TopicRole | 'events' | 'retries')[];
  /** The topics it writes (by role; `origins` = the topic a retried record came from) */
  outputs: readonly (TopicRole | 'origins')[];
}

/** The stages, each a service of its own (`services/<name>`). */
export const STAGES = {
  composer: { inputs: ['events'], outputs: ['composed', 'status'] },
  signer: { inputs: ['composed'], outputs: ['signed', 'status'] },
  router: { inputs: ['signed'], outputs: ['dmp', 'mss', 'status'] },
  retrier: { inputs: ['retries'], outputs: ['origins'] },
  'dmp-gateway': { inputs: ['dmp'], outputs: ['status'] },
  'mss-gateway': { inputs: ['mss'], outputs: ['status'] },
} as const satisfies Record<string, StageEntry>;

export type StageName = keyof typeof STAGES;

export interface RouteEntry {
  /** The topic the router writes the route's messages to (by role) */
  topic: PipelineRole;
  /** The stage that delivers them, or null while no gateway is built (the route ends on its topic) */
  gateway: StageName | null;
}

/**
 * The destinations a document is routed to. The router names each route it takes in its `routed` status
 * (`dmp`, `mss:patient`, `mss:professional-1`…: the part before `:` is the route's kind here).
 */
export const ROUTES = {
  dmp: { topic: 'dmp', gateway: 'dmp-gateway' },
  // One gateway for every MSSanté recipient: its status details name the recipient's route (`mss:patient: …`, `mss:professional-2: …`).
  mss: { topic: 'mss', gateway: 'mss-gateway' },
} as const satisfies Record<string, RouteEntry>;

export type RouteKind = keyof typeof ROUTES;

export interface StateEntry {
  /** Final: nothing more happens to the document unless someone acts (replays it, or the LGO publishes anew) */
  final: boolean;
  meaning: string;
}

/** The states of a document on `documents.status`. */
export const STATES = {
  composed: { final: false, meaning: 'built from its event, waiting for its signature' },
  signed: { final: false, meaning: "signed with the pharmacy's certificate, waiting for routing" },
  routed: {
    final: true,
    meaning: 'its messages to the DMP and MSSanté are on their topics (or no route applies); a route with a gateway goes on to delivered',
  },
  delivered: { final: true, meaning: "a gateway delivered its route (the destination's answer in detail)" },
  retrying: { final: false, meaning: 'a transient failure: the record waits in a retry tier' },
  'waiting-for-certificate': {
    final: false,
    meaning: "the pharmacy's certificate is missing, expired or refused: the record waits in the retry tiers until the key store is fixed",
  },
  parked: {
    final: true,
    meaning: "the patient's identity is not qualified: the pharmacy qualifies it and the LGO publishes the event again",
  },
  'dead-lettered': { final: true, meaning: 'refused (or out of retries): in the dead letters with the reason, to be replayed once fixed' },
  replayed: { final: false, meaning: 'sent back from the dead letters' },
} as const satisfies Record<string, StateEntry>;

export type DocumentState = keyof typeof STATES;

/**
 * The field names of the events' personal data (the patient's identity, document bodies): never logged. Loggers
 * redact them wherever they appear; they are the second line of defence, since nothing logs a record's value.
 */
export const PERSONAL_DATA_FIELDS = [
  'ins',
  'matricule',
  'patient',
  'birthFamilyName',
  'birthGivenNames',
  'firstGivenName',
  'birthDate',
  'birthPlace',
  'usedFamilyName',
  'usedGivenName',
  'familyName',
  'givenName',
  'documentXml',
  'signatureXml',
  'value',
  'body',
] as const;
