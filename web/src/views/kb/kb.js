// kb.js: what the knowledge base's screens share.
export const KB_STATE_TAG = { draft: 'info', in_review: 'warning', published: 'success', obsolete: 'danger' };
export const NEED_TYPES = ['inquiry', 'problem', 'fault', 'complaint', 'suggestion', 'special'];
