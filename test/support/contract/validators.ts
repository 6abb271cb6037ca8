/**
 * The ajv instances and the compiled-validator cache of one contract. Three kinds, each created on first use:
 * 'request'/'response' are strict validators over the request/response views of the components (convert.ts);
 * 'params' is a type-coercing validator over the request view, for values that arrive as strings
 * (parameters.ts) — the only instance that coerces. All run with `strictSchema: true`, so a keyword the
 * converter does not understand fails the compile instead of being ignored.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { SchemaConverter, type Mode } from './convert';
import { discriminatorKeyword } from './discriminator';
import { configureFormats } from './formats';
import { isObject, type JsonObject, type OaDocument } from './openapi';

export type ValidatorKind = 'request' | 'response' | 'params';

interface ModeValidators {
  ajv: Ajv;
  converter: SchemaConverter;
}

export class Validators {
  private readonly instances = new Map<ValidatorKind, ModeValidators>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: OaDocument) {}

  /**
   * The validator for an OpenAPI schema, compiled once per `kind` and `key` (`schema` is only called then).
   * A schema that is just a component `$ref` reuses the component's validator.
   */
  get(kind: ValidatorKind, key: string, schema: () => unknown): ValidateFunction {
    const cacheKey = `${kind} ${key}`;
    const cached = this.compiled.get(cacheKey);
    if (cached) return cached;
    const { ajv, converter } = this.ajvFor(kind);
    const converted = converter.convert(schema());
    const onlyRef = isObject(converted) && Object.keys(converted).length === 1 && typeof converted.$ref === 'string';
    const validate = onlyRef ? ajv.getSchema(converted.$ref as string) : ajv.compile(converted as JsonObject);
    if (!validate) throw new Error(`contract: cannot compile ${cacheKey}`);
    this.compiled.set(cacheKey, validate);
    return validate;
  }

  private ajvFor(kind: ValidatorKind): ModeValidators {
    const existing = this.instances.get(kind);
    if (existing) return existing;
    const coercing = kind === 'params';
    const ajv = new Ajv({
      allErrors: true,
      strictSchema: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      coerceTypes: coercing,
      useDefaults: false,
      addUsedSchema: false,
      logger: false,
    });
    configureFormats(ajv);
    ajv.addKeyword(discriminatorKeyword(ajv, coercing));
    const mode: Mode = kind === 'response' ? 'response' : 'request';
    const docId = `https://contract.invalid/pinterest-v5/${mode}.json`;
    const converter = new SchemaConverter(this.doc, mode, docId, new Set(Object.keys(ajv.formats)));
    ajv.addSchema(converter.componentsDocument());
    const created = { ajv, converter };
    this.instances.set(kind, created);
    return created;
  }
}
