/**
 * The manifest the HTTP contract suite runs against: every operation, filters of each
 * scalar type, sortable fields, defaults, an enum, a nested object and additionalProperties: false.
 */
export function contactsManifest(name: string, storage: string): string {
  return `name: ${name}
description: Contacts used by the HTTP contract tests.
access: { public: true }
storage:
${storage}
schema:
  type: object
  required: [name, email]
  additionalProperties: false
  properties:
    name: { type: string, minLength: 1 }
    email: { type: string, format: email }
    plan: { type: string, enum: [free, pro], default: free }
    age: { type: integer, minimum: 0 }
    score: { type: number }
    vip: { type: boolean, default: false }
    address:
      type: object
      properties:
        city: { type: string }
        zip: { type: string }
    tags: { type: array, items: { type: string } }
endpoints:
  - operation: list
    filters: [plan, age, vip, score]
    sort: [name, age, createdAt]
  - operation: get
  - operation: create
  - operation: update
  - operation: replace
  - operation: delete
`;
}
