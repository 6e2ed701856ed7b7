import { singularize } from '../schema/naming.ts';

/**
 * What `council new NAME` writes beside the manifest: one test that walks the starter
 * manifest's record through create, get, update, a filtered list and delete, so a team
 * starts with a test that passes and grows it as the manifest changes.
 */
export function starterTests(name: string): string {
  const one = singularize(name).replace(/-/g, ' ');
  const title = `First ${one}`;
  return `# Tests for ${name}.yaml, run by \`council test\` against empty stores (documents/testing.md).
# Each step is a request and what its answer must hold (a subset of the JSON body);
# capture keeps a value of the answer for later steps as \${name}.
tests:
  - name: a ${one} is created, read, updated, listed and deleted
    steps:
      - request: POST /${name}
        body: { title: ${title} }
        expect:
          status: 201
          body: { data: { title: ${title}, status: open } }
        capture: { id: /data/id }
      - request: GET /${name}/\${id}
        expect:
          body: { data: { id: "\${id}", title: ${title} } }
      - request: PATCH /${name}/\${id}
        body: { status: done }
        expect:
          body: { data: { status: done } }
      - request: GET /${name}?status=done
        expect:
          body: { data: [{ id: "\${id}" }] }
      - request: DELETE /${name}/\${id}
        expect: { status: 204 }
      - request: GET /${name}/\${id}
        expect: { status: 404 }
`;
}
