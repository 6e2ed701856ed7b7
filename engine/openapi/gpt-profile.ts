import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject } from 'openapi3-ts/oas31';

/**
 * The limits OpenAI's GPT Actions put on an imported OpenAPI document, and the rules a
 * model needs to call an API without a human. Each finding names what it is about, so
 * the caller can point at the manifest line that produced it.
 */
export const GPT_LIMITS = {
  operationId: /^[a-zA-Z0-9_-]{1,64}$/,
  /** Summary and description of an operation. */
  operationText: 300,
  parameterDescription: 700,
  operations: 30,
} as const;

export type GptFinding =
  | { readonly rule: 'gpt-operation-id'; readonly operationId: string; readonly message: string }
  | {
      readonly rule: 'gpt-description-too-long';
      readonly operationId: string;
      readonly field: 'summary' | 'description';
      readonly message: string;
    }
  | { readonly rule: 'gpt-parameter-too-long'; readonly operationId: string; readonly parameter: string; readonly message: string }
  | { readonly rule: 'gpt-header'; readonly operationId: string; readonly parameter: string; readonly message: string }
  | { readonly rule: 'gpt-too-many-operations'; readonly count: number; readonly message: string };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Headers GPT Actions send themselves: the API key's. */
const AUTH_HEADERS = new Set(['authorization', 'x-api-key']);

/** Checks one OpenAPI document against the GPT Actions limits. Pure. */
export function lintGptDocument(doc: OpenAPIObject): GptFinding[] {
  const findings: GptFinding[] = [];
  let count = 0;
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method] as OperationObject | undefined;
      if (!operation) continue;
      count++;
      findings.push(...lintOperation(operation, `${method.toUpperCase()} ${path}`));
    }
  }
  if (count > GPT_LIMITS.operations) {
    findings.push({
      rule: 'gpt-too-many-operations',
      count,
      message: `the document has ${count} operations; a GPT Action imports at most ${GPT_LIMITS.operations}: import each automation's own document (/automations/NAME/openapi.json) instead`,
    });
  }
  return findings;
}

function lintOperation(operation: OperationObject, where: string): GptFinding[] {
  const findings: GptFinding[] = [];
  const operationId = operation.operationId ?? '';
  if (!GPT_LIMITS.operationId.test(operationId)) {
    findings.push({
      rule: 'gpt-operation-id',
      operationId,
      message: `${where}: operationId "${operationId}" must match ${GPT_LIMITS.operationId.source} for a GPT Action`,
    });
  }
  for (const field of ['summary', 'description'] as const) {
    const text = operation[field];
    if (typeof text === 'string' && text.length > GPT_LIMITS.operationText) {
      findings.push({
        rule: 'gpt-description-too-long',
        operationId,
        field,
        message: `the ${field} of ${operationId} is ${text.length} characters; a GPT Action accepts at most ${GPT_LIMITS.operationText}`,
      });
    }
  }
  for (const parameter of (operation.parameters ?? []) as (ParameterObject | ReferenceObject)[]) {
    if ('$ref' in parameter) continue;
    if (parameter.in === 'header' && !AUTH_HEADERS.has(parameter.name.toLowerCase())) {
      findings.push({
        rule: 'gpt-header',
        operationId,
        parameter: parameter.name,
        message: `${operationId} ${parameter.required ? 'requires' : 'takes'} the header ${parameter.name}; a GPT Action sends no header but its API key`,
      });
    }
    const length = parameter.description?.length ?? 0;
    if (length > GPT_LIMITS.parameterDescription) {
      findings.push({
        rule: 'gpt-parameter-too-long',
        operationId,
        parameter: parameter.name,
        message: `the description of parameter ${parameter.name} of ${operationId} is ${length} characters; a GPT Action accepts at most ${GPT_LIMITS.parameterDescription}`,
      });
    }
  }
  return findings;
}
