/**
 * The one Avro schema of the runtime's own tests: the runtime knows no domain, so its tests bring a record of their
 * own (not exported by the package).
 */
export const ITEM_SCHEMA = {
  type: 'record',
  name: 'Item',
  namespace: 'fr.passerelle.runtime.test',
  fields: [
    { name: 'documentId', type: 'string' },
    { name: 'eventId', type: 'string' },
    { name: 'state', type: 'string' },
  ],
};

export interface Item {
  documentId: string;
  eventId: string;
  state: string;
}

export const itemSchema = (): object => ITEM_SCHEMA;
