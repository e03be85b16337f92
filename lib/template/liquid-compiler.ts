import {
  AssignTag,
  CommentTag,
  Context,
  defaultOperators,
  Drop,
  Expression,
  ForTag,
  IfTag,
  isFalsy,
  isTruthy,
  type Liquid,
  Output,
  type Template,
  toValueSync,
  Tokenizer,
  TypeGuards,
  UnlessTag,
  type Value,
} from 'liquidjs';

/**
 * Liquid templates as plain JavaScript, compiled once per parsed template into one function. liquidjs
 * parses (its parse tree is public) and stays the reference: each node becomes the code that does what
 * liquidjs's own render does, without its generator-driven evaluation (microseconds a tag) and
 * without a closure call per node. Property reads
 * are liquidjs's Context.readProperty (its common case inline), filters liquidjs's own functions called
 * as it calls them, and comparisons with its drops its own operators, so the output is byte-identical
 * (test/template/compiler.test.ts). Nothing of a template's text becomes code: names, keys and strings
 * are written as JSON literals, everything else is passed in as a constant. A template using anything
 * not compiled here (other tags, `forloop`, loop modifiers, ranges, generator filters, custom
 * operators) is not compiled: `compileLiquid` returns undefined and the interpreter renders it.
 */
export interface CompiledRender {
  (data: object, renderLimitMs?: number): string;
  /**
   * Every property path the template reads from a named variable (locals too), up to its first
   * computed key: what liquidjs's globalVariableSegments tells, without its analysis, which costs tens
   * of milliseconds at a cold start (it locates each variable by scanning the source from the start).
   */
  readonly reads: readonly Segments[];
  /**
   * The same render, also giving its trace: the branches it took and how often each loop ran. When every
   * output goes through the engine's output escape, the text is a function of the trace and of the
   * escape's results alone, so with outputs captured (output-capture.ts) the trace names the text, in a
   * fraction of its length. Undefined for a template with an unescaped (`raw`) output.
   */
  readonly traced?: (data: object, renderLimitMs?: number) => { text: string; trace: string };
}

/** A property path: names, and list indexes where a literal number indexes. */
export type Segments = readonly (string | number)[];

interface Frame {
  ctx: Context;
  /** ctx.readProperty; its declared type is narrower than what it takes (any value, nil included). */
  read: (obj: unknown, key: unknown) => unknown;
  ownPropertyOnly: boolean;
  bottom: Record<string, unknown>;
  /** Loop scopes, innermost last, as liquidjs pushes them on its scope stack. */
  loops: Record<string, unknown>[];
  env: object;
  globals: object;
  out: string;
  trace: string;
}

class Unsupported extends Error {}

/**
 * A value the generated code needs that is not a JSON literal, named by what it is rather than held:
 * code generated at build time (for the embedded profiles' templates) then links to the engine of the
 * process that runs it, as code generated at run time does.
 */
export type ConstantRef =
  | { filter: string }
  | { escape: true }
  | { filterThis: true }
  | { operator: string }
  | { literal: string }
  | { number: string };

/** A template's generated code and what it needs: plain data, so it can be written out and read back. */
export interface GeneratedLiquid {
  code: string;
  constants: ConstantRef[];
  reads: Segments[];
  /** Whether every output ends in the engine's output escape (see CompiledRender.traced). */
  escapesAll: boolean;
  /** The engine's truthiness the code was generated for. */
  jsTruthy: boolean;
}

/** The template as one generated function, or undefined when the interpreter must render it. */
export function compileLiquid(engine: Liquid, templates: Template[]): CompiledRender | undefined {
  const generated = generateLiquid(engine, templates);
  return generated && linkLiquid(engine, generated);
}

export function generateLiquid(engine: Liquid, templates: Template[]): GeneratedLiquid | undefined {
  if (!compilable(engine)) return undefined;
  try {
    const gen = new Generator(engine, templates);
    const code = gen.block(templates, true);
    return {
      code,
      constants: gen.constants,
      reads: gen.reads,
      escapesAll: gen.escapesAll,
      jsTruthy: !!engine.options.jsTruthy,
    };
  } catch (err) {
    // A template nested deeper than the generator's stack allows is the interpreter's too.
    if (err instanceof Unsupported || err instanceof RangeError) return undefined;
    throw err;
  }
}

function compilable(engine: Liquid): boolean {
  const { operators, strictVariables, keepOutputType } = engine.options;
  return operators === defaultOperators && !strictVariables && !keepOutputType;
}

/** The generated code as a render of `engine`; undefined when a constant does not resolve there. */
export function linkLiquid(engine: Liquid, generated: GeneratedLiquid): CompiledRender | undefined {
  if (!compilable(engine) || generated.jsTruthy !== !!engine.options.jsTruthy) return undefined;
  const constants: unknown[] = [];
  for (const ref of generated.constants) {
    const value = resolve(engine, ref);
    if (value === UNRESOLVED) return undefined;
    constants.push(value);
  }
  const helpers = generated.jsTruthy ? JS_HELPERS : LIQUID_HELPERS;
  let body: (f: Frame, constants: unknown[], h: Helpers) => void;
  try {
    body = new Function(
      'f',
      'K',
      'H',
      `'use strict';\nconst { readProperty, findScope, toValue, stringify, truthy, toEnumerable, equalsDrop, equals, compare, and, or, viaLiquid, callFilter0, callFilter1, callFilter2, callFilterN } = H;\n${generated.code}`,
    ) as typeof body;
  } catch {
    // Code generation refused (node --disallow-code-generation-from-strings): the interpreter renders.
    return undefined;
  }
  const run = (data: object, renderLimitMs: number | undefined): Frame => {
    const renderOptions =
      renderLimitMs === undefined ? { sync: true } : { sync: true, renderLimit: renderLimitMs };
    const ctx = new Context(data, engine.options, renderOptions, { liquid: engine });
    const f: Frame = {
      ctx,
      read: ctx.readProperty.bind(ctx) as Frame['read'],
      ownPropertyOnly: !!ctx.ownPropertyOnly,
      bottom: ctx.bottom() as Record<string, unknown>,
      loops: [],
      env: ctx.environments,
      globals: ctx.globals ?? {},
      out: '',
      trace: '',
    };
    body(f, constants, helpers);
    return f;
  };
  const render = (data: object, renderLimitMs?: number) => run(data, renderLimitMs).out;
  const traced = (data: object, renderLimitMs?: number) => {
    const f = run(data, renderLimitMs);
    return { text: f.out, trace: f.trace };
  };
  return Object.assign(render, { reads: generated.reads, ...(generated.escapesAll && { traced }) });
}

const UNRESOLVED = Symbol('unresolved');

function resolve(engine: Liquid, ref: ConstantRef): unknown {
  if ('filter' in ref) {
    const handler = filterHandler(engine, ref.filter);
    return callableFilter(handler) ? handler : UNRESOLVED;
  }
  if ('escape' in ref) return engine.options.outputEscape ?? UNRESOLVED;
  // No filter reads its token (liquidjs's own nor ours); the context is set per call.
  if ('filterThis' in ref) return { context: undefined, token: undefined, liquid: engine };
  if ('operator' in ref) return (defaultOperators as Record<string, unknown>)[ref.operator] ?? UNRESOLVED;
  if ('literal' in ref) return literalDrop(ref.literal) ?? UNRESOLVED;
  return Number(ref.number);
}

/** A filter the generated code can call: a plain function (a generator one is liquidjs's async kind). */
function callableFilter(handler: unknown): handler is (...args: unknown[]) => unknown {
  return typeof handler === 'function' && handler.constructor.name !== 'GeneratorFunction';
}

function filterHandler(engine: Liquid, name: string): unknown {
  const impl = (engine.filters as Record<string, unknown>)[name];
  return typeof impl === 'function' ? impl : (impl as { handler?: unknown } | undefined)?.handler;
}

const drops = new Map<string, Drop | undefined>();

/** liquidjs's own drop for `nil`, `null`, `empty` or `blank`, as its tokenizer reads the word. */
function literalDrop(word: string): Drop | undefined {
  if (!drops.has(word)) {
    const token = /^[a-z]+$/.test(word) ? new Tokenizer(word).readValue() : undefined;
    const content = TypeGuards.isLiteralToken(token) ? token.content : undefined;
    drops.set(word, content instanceof Drop ? content : undefined);
  }
  return drops.get(word);
}

/** A number the code cannot write as a JSON literal (-0, the infinities, NaN), by its text. */
function numberRef(v: number): ConstantRef {
  return { number: Object.is(v, -0) ? '-0' : String(v) };
}

/**
 * A branch taken writes one character that is no digit and no `;`, a loop its count and a `;`: no
 * trace is a prefix of another's, so two traces are equal only for the same path.
 */
const BRANCH_MARK = 0x41;
const MAX_BRANCHES = 4096;

/** An expression's code, and which of liquidjs's drop literals it is, if it is one. */
interface Code {
  js: string;
  drop?: 'nil' | 'empty' | 'blank';
}

/** Writes a template's code; every value the code needs that is not a JSON literal is a constant `K[i]`. */
class Generator {
  readonly constants: ConstantRef[] = [];
  readonly reads: Segments[] = [];
  escapesAll = true;
  /** Names the template assigns or loops over: only these can be found in a scope but the data's. */
  private readonly locals = new Set<string>();
  private loopCount = 0;

  constructor(
    private readonly engine: Liquid,
    templates: Template[],
  ) {
    collectLocals(templates, this.locals);
  }

  private constant(ref: ConstantRef): string {
    this.constants.push(ref);
    return `K[${this.constants.length - 1}]`;
  }

  /**
   * The render limit is checked where a render starts and at each loop iteration, not at every block as
   * the interpreter does: what runs between two checks is then bounded by the template's own length,
   * and a clock read per block was a sixteenth of a render.
   */
  block(templates: Template[], checked = false): string {
    const check = checked ? 'f.ctx.renderLimit.check(performance.now());\n' : '';
    return check + templates.map((t) => this.node(t)).join('');
  }

  /** One node's statements ('' for one that renders nothing). */
  private node(t: Template): string {
    if (TypeGuards.isHTMLToken(t.token)) {
      const { str } = t as unknown as { str: string };
      return str ? `f.out += ${JSON.stringify(str)};\n` : '';
    }
    if (t instanceof Output) {
      const filters = t.value.filters as unknown as { handler: unknown }[];
      if (filters.at(-1)?.handler !== this.engine.options.outputEscape) this.escapesAll = false;
      return `f.out += stringify(toValue(${this.value(t.value)}));\n`;
    }
    if (t instanceof CommentTag) return '';
    if (t instanceof AssignTag) {
      const { key } = t as unknown as { key: string };
      return `f.bottom[${JSON.stringify(key)}] = ${this.value((t as unknown as { value: Value }).value)};\n`;
    }
    if (t instanceof IfTag) {
      const { branches, elseTemplates } = t as unknown as {
        branches: { value: Value; templates: Template[] }[];
        elseTemplates?: Template[];
      };
      return this.branches(
        branches.map((b) => ({ value: b.value, templates: b.templates, truthy: true })),
        elseTemplates ?? [],
      );
    }
    if (t instanceof UnlessTag) {
      const { branches, elseTemplates } = t as unknown as {
        branches: { value: Value; test: unknown; templates: Template[] }[];
        elseTemplates: Template[];
      };
      return this.branches(
        branches.map((b) => {
          if (b.test !== isFalsy && b.test !== isTruthy) throw new Unsupported();
          return { value: b.value, templates: b.templates, truthy: b.test === isTruthy };
        }),
        elseTemplates,
      );
    }
    if (t instanceof ForTag) return this.forLoop(t);
    throw new Unsupported();
  }

  private branches(
    branches: { value: Value; templates: Template[]; truthy: boolean }[],
    elseTemplates: Template[],
  ): string {
    if (branches.length >= MAX_BRANCHES) throw new Unsupported();
    const mark = (i: number) => JSON.stringify(String.fromCharCode(BRANCH_MARK + i));
    const tests = branches.map(
      (b, i) =>
        `if (truthy(toValue(${this.value(b.value)})) === ${b.truthy}) {\nf.trace += ${mark(i)};\n${this.block(b.templates)}}`,
    );
    const otherwise = `{\nf.trace += ${mark(branches.length)};\n${this.block(elseTemplates)}}`;
    return `${[...tests, otherwise].join(' else ')}\n`;
  }

  private forLoop(t: ForTag): string {
    const { variable, collection, hash, templates, elseTemplates } = t as unknown as {
      variable: string;
      collection: unknown;
      hash: { hash: Record<string, unknown> };
      templates: Template[];
      elseTemplates: Template[];
    };
    // offset/limit/reversed and `continue` bookkeeping are not compiled.
    if (Object.keys(hash.hash).length > 0) throw new Unsupported();
    const n = ++this.loopCount;
    const [list, scope, item] = [`l${n}`, `s${n}`, `i${n}`];
    return `{
const ${list} = toEnumerable(${this.token(collection).js});
f.trace += ${list}.length + ';';
if (!${list}.length) {
${this.block(elseTemplates)}} else {
const ${scope} = Object.create(null);
f.loops.push(${scope});
try {
for (const ${item} of ${list}) {
${scope}[${JSON.stringify(variable)}] = ${item};
${this.block(templates, true)}}
} finally {
f.loops.pop();
}
}
}
`;
  }

  /** A Value: its expression, then each filter (the output escape is the last filter of an Output). */
  private value(v: Value): string {
    let js = this.expression(v.initial).js;
    for (const filter of v.filters as unknown as { handler: unknown; args: unknown[]; name: string }[])
      js = this.filter(filter.handler, filter.args, filter.name, js);
    return js;
  }

  private filter(handler: unknown, args: unknown[], name: string, input: string): string {
    if (!callableFilter(handler)) throw new Unsupported();
    const argv = args.map((arg) => {
      if (Array.isArray(arg)) {
        const [key, value] = arg as [string, unknown];
        return `[${JSON.stringify(key)}, ${this.token(value).js}]`;
      }
      return this.token(arg).js;
    });
    // One `this` per filter, its context set per call: filters run synchronously and keep nothing.
    const self = this.constant({ filterThis: true });
    const fn = this.constant(this.filterRef(handler, name));
    if (argv.length <= 2)
      return `callFilter${argv.length}(f, ${fn}, ${self}, ${[input, ...argv].join(', ')})`;
    return `callFilterN(f, ${fn}, ${self}, ${input}, [${argv.join(', ')}])`;
  }

  /** The filter's handler by name (the output escape by its place): it must be what the name resolves to. */
  private filterRef(handler: unknown, name: string): ConstantRef {
    if (handler === this.engine.options.outputEscape) return { escape: true };
    if (filterHandler(this.engine, name) !== handler) throw new Unsupported();
    return { filter: name };
  }

  /** liquidjs's Expression: postfix tokens, operators applied as the stack is read. */
  private expression(e: Expression): Code {
    if (!(e instanceof Expression)) throw new Unsupported();
    const stack: Code[] = [];
    for (const token of (e as unknown as { postfix: unknown[] }).postfix) {
      if (TypeGuards.isOperatorToken(token)) {
        const op = (token as unknown as { operator: string }).operator;
        const right = stack.pop();
        if (!right) throw new Unsupported();
        if (op === 'not') {
          stack.push({ js: `!truthy(toValue(${right.js}))` });
          continue;
        }
        const left = stack.pop();
        if (!left) throw new Unsupported();
        stack.push(this.binary(op, left, right));
      } else {
        stack.push(this.token(token));
      }
    }
    return stack[0] ?? { js: 'undefined' };
  }

  /** Both operands are evaluated, left first, as liquidjs evaluates them. */
  private binary(op: string, left: Code, right: Code): Code {
    const operator = (defaultOperators as Record<string, (...a: unknown[]) => unknown>)[op];
    if (!operator) throw new Unsupported();
    const opFn = this.constant({ operator: op });
    switch (op) {
      case '==':
      case '!=': {
        const negate = op === '!=';
        // The common `x == nil`, `x != blank`: the literal's own equality, on a value from the data.
        const literal = right.drop ?? left.drop;
        if (literal && !(left.drop && right.drop)) {
          const onRight = right.drop !== undefined;
          return {
            js: `equalsDrop(f, ${opFn}, '${literal}', ${left.js}, ${right.js}, ${onRight}, ${negate})`,
          };
        }
        return { js: `equals(f, ${opFn}, ${left.js}, ${right.js}, ${negate})` };
      }
      case '>':
      case '<':
      case '>=':
      case '<=':
        return { js: `compare(f, ${opFn}, '${op}', ${left.js}, ${right.js})` };
      case 'and':
        return { js: `and(${left.js}, ${right.js})` };
      case 'or':
        return { js: `or(${left.js}, ${right.js})` };
      default:
        return { js: `viaLiquid(f, ${opFn}, ${left.js}, ${right.js})` };
    }
  }

  /** evalToken: literals are their content; property reads resolve through the scopes. */
  private token(token: unknown): Code {
    if (typeof token !== 'object' || token === null) throw new Unsupported();
    if ('content' in token) {
      const content = (token as { content: unknown }).content;
      const literal = (token as { literal?: unknown }).literal;
      if (TypeGuards.isLiteralToken(token) && content instanceof Drop) {
        if (typeof literal !== 'string' || literalDrop(literal) !== content) throw new Unsupported();
        const js = this.constant({ literal });
        if (literal === 'nil' || literal === 'null') return { js, drop: 'nil' };
        if (literal === 'empty' || literal === 'blank') return { js, drop: literal };
        return { js };
      }
      const js = jsLiteral(content);
      if (js !== undefined) return { js };
      if (typeof content !== 'number') throw new Unsupported();
      return { js: this.constant(numberRef(content)) };
    }
    if (TypeGuards.isPropertyAccessToken(token)) return { js: this.propertyAccess(token) };
    if (TypeGuards.isFilteredValueToken(token)) {
      const { initial, filters } = token as unknown as {
        initial: Expression;
        filters: { name: string; args: unknown[] }[];
      };
      let js = this.expression(initial).js;
      for (const ft of filters) {
        js = this.filter(filterHandler(this.engine, ft.name), ft.args, ft.name, js);
      }
      return { js };
    }
    throw new Unsupported();
  }

  private propertyAccess(token: { variable?: unknown; props: unknown[] }): string {
    if (token.variable !== undefined && token.variable !== null)
      return this.path(token.props, this.token(token.variable).js);
    const [head, ...props] = token.props;
    const name = typeof head === 'object' && head !== null && 'content' in head ? head.content : undefined;
    // A computed first name could be `forloop`, which compiled loops do not keep: not compiled.
    if (typeof name !== 'string' || name === 'forloop') throw new Unsupported();
    this.reads.push(staticSegments(name, props));
    const key = JSON.stringify(name);
    // A name the template never assigns or loops over is in no scope but the data's (or the globals):
    // unless Object.prototype has it, which every scope inherits.
    const scope =
      !this.locals.has(name) && !(name in Object.prototype)
        ? `(${key} in f.env ? f.env : f.globals)`
        : `findScope(f, ${key})`;
    return this.path(props, `readProperty(f, ${scope}, ${key})`);
  }

  /** The reads of `props` in turn from `start`; a literal key (most of them) is written as it is. */
  private path(props: unknown[], start: string): string {
    let js = start;
    for (const p of props) {
      const key = literalKey(p);
      const keyJs =
        key === undefined
          ? `toValue(${this.token(p).js})`
          : typeof key === 'number'
            ? (jsLiteral(key) ?? this.constant(numberRef(key)))
            : JSON.stringify(key);
      js = `readProperty(f, ${js}, ${keyJs})`;
    }
    return js;
  }
}

/** A JSON literal for a scalar the code can hold as it is; undefined for anything else. */
function jsLiteral(v: unknown): string | undefined {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? JSON.stringify(v) : undefined;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  return undefined;
}

/** What the generated code calls; the truthiness is the engine's. */
interface Helpers {
  readProperty: typeof readProperty;
  findScope: typeof findScope;
  toValue: typeof toValue;
  stringify: typeof stringify;
  truthy: (v: unknown) => boolean;
  toEnumerable: typeof toEnumerable;
  equalsDrop: typeof dropEqualsOp;
  equals: typeof equalsOp;
  compare: typeof compareOp;
  and: (l: unknown, r: unknown) => boolean;
  or: (l: unknown, r: unknown) => boolean;
  viaLiquid: typeof viaLiquid;
  callFilter0: (f: Frame, fn: FilterFn, self: FilterThis, value: unknown) => unknown;
  callFilter1: (f: Frame, fn: FilterFn, self: FilterThis, value: unknown, a: unknown) => unknown;
  callFilter2: (f: Frame, fn: FilterFn, self: FilterThis, value: unknown, a: unknown, b: unknown) => unknown;
  callFilterN: (f: Frame, fn: FilterFn, self: FilterThis, value: unknown, args: unknown[]) => unknown;
}

type FilterThis = { context: Context | undefined; token: unknown; liquid: Liquid };
type FilterFn = (this: FilterThis, ...a: unknown[]) => unknown;

function helpers(truthy: (v: unknown) => boolean): Helpers {
  const result = (r: unknown) => (isIterator(r) ? toValueSync(r) : r);
  return {
    readProperty,
    findScope,
    toValue,
    stringify,
    truthy,
    toEnumerable,
    equalsDrop: dropEqualsOp,
    equals: equalsOp,
    compare: compareOp,
    and: (l, r) => truthy(toValue(l)) && truthy(toValue(r)),
    or: (l, r) => truthy(toValue(l)) || truthy(toValue(r)),
    viaLiquid,
    callFilter0: (f, fn, self, value) => {
      self.context = f.ctx;
      return result(fn.call(self, value));
    },
    callFilter1: (f, fn, self, value, a) => {
      self.context = f.ctx;
      return result(fn.call(self, value, a));
    },
    callFilter2: (f, fn, self, value, a, b) => {
      self.context = f.ctx;
      return result(fn.call(self, value, a, b));
    },
    callFilterN: (f, fn, self, value, args) => {
      self.context = f.ctx;
      return result(fn.apply(self, [value, ...args]));
    },
  };
}

const JS_HELPERS = helpers((v) => !!v);
const LIQUID_HELPERS = helpers((v) => v !== false && v !== undefined && v !== null);

type Operator = (l: unknown, r: unknown, ctx: Context) => unknown;

/** Drops (nil, empty, blank) and lists compare by liquidjs's own operator. */
function viaLiquid(f: Frame, operator: Operator, l: unknown, r: unknown): unknown {
  return toValueSync(operator(l, r, f.ctx) as never);
}

/** `x == nil`, `x != blank`: the literal's own equality on a value from the data (unless it is a drop). */
function dropEqualsOp(
  f: Frame,
  operator: Operator,
  kind: 'nil' | 'empty' | 'blank',
  l: unknown,
  r: unknown,
  literalOnRight: boolean,
  negate: boolean,
): unknown {
  const v = literalOnRight ? l : r;
  if (v instanceof Drop) return viaLiquid(f, operator, l, r);
  return dropEquals(kind, v) !== negate;
}

function equalsOp(f: Frame, operator: Operator, l: unknown, r: unknown, negate: boolean): unknown {
  if (isSpecial(l) || isSpecial(r)) return viaLiquid(f, operator, l, r);
  return negate ? l !== r : l === r;
}

function compareOp(f: Frame, operator: Operator, op: string, l: unknown, r: unknown): unknown {
  if (l instanceof Drop || r instanceof Drop) return viaLiquid(f, operator, l, r);
  const a = l as number;
  const b = r as number;
  return op === '>' ? a > b : op === '<' ? a < b : op === '>=' ? a >= b : a <= b;
}

/** The names `assign` and `for` bind anywhere in the templates, nested blocks included. */
function collectLocals(templates: Template[], into: Set<string>): void {
  for (const t of templates) {
    const tag = t as unknown as {
      key?: unknown;
      variable?: unknown;
      templates?: Template[];
      elseTemplates?: Template[];
      branches?: { templates: Template[] }[];
    };
    if (t instanceof AssignTag && typeof tag.key === 'string') into.add(tag.key);
    if (t instanceof ForTag && typeof tag.variable === 'string') into.add(tag.variable);
    for (const nested of [tag.templates, tag.elseTemplates, ...(tag.branches ?? []).map((b) => b.templates)])
      if (Array.isArray(nested)) collectLocals(nested, into);
  }
}

/** `name` and the literal keys after it, up to the first computed one. */
function staticSegments(name: string, props: unknown[]): Segments {
  const segments: (string | number)[] = [name];
  for (const p of props) {
    const key = literalKey(p);
    if (key === undefined) break;
    segments.push(key);
  }
  return segments;
}

/** A property token's key when it is a literal name or index (not computed, not nil/empty/blank). */
function literalKey(p: unknown): string | number | undefined {
  const content = typeof p === 'object' && p !== null && 'content' in p ? p.content : undefined;
  return typeof content === 'string' || typeof content === 'number' ? content : undefined;
}

/** Context.findScope over this frame: loop scopes innermost first, the assign scope, the data, globals. */
function findScope(f: Frame, key: unknown): object {
  const k = key as string;
  for (let i = f.loops.length - 1; i >= 0; i--) {
    const scope = f.loops[i] as object;
    if (k in scope) return scope;
  }
  if (k in f.bottom) return f.bottom;
  if (k in f.env) return f.env;
  return f.globals;
}

/**
 * Context.readProperty, with its common case inline: a string key of a plain object, a list or a
 * scope that is none of `size`, `first`, `last` (which read a list's length and ends) reads the own
 * property. Told by the prototype, which no Drop has and which gives no `toLiquid`, so no read asks
 * for `toLiquid` or checks `instanceof Drop`. The data, the config and
 * every filter's result are JSON, so no plain object holds a `toLiquid` of its own.
 */
function readProperty(f: Frame, obj: unknown, key: unknown): unknown {
  if (typeof key === 'string' && typeof obj === 'object' && obj !== null && f.ownPropertyOnly) {
    const proto = Object.getPrototypeOf(obj);
    if (
      (proto === Object.prototype || proto === Array.prototype || proto === null) &&
      key !== 'size' &&
      key !== 'first' &&
      key !== 'last'
    ) {
      const value = (obj as Record<string, unknown>)[key];
      // All these prototypes hold but functions and `__proto__`: any other value found is the own one.
      if (value === undefined || (typeof value !== 'function' && key !== '__proto__')) return value;
      if (!Object.hasOwn(obj, key)) return undefined;
      return typeof value === 'function' ? value.call(obj) : value;
    }
  }
  return f.read(obj, key);
}

/** NullDrop, EmptyDrop and BlankDrop's `equals` for a value that is not a Drop. */
function dropEquals(kind: 'nil' | 'empty' | 'blank', v: unknown): boolean {
  if (kind === 'nil') return v === null || v === undefined;
  if (kind === 'blank') {
    if (v === false || v === null || v === undefined) return true;
    if (typeof v === 'string') return /^\s*$/.test(v);
  }
  if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
  if (v !== null && (typeof v === 'object' || typeof v === 'function')) return Object.keys(v).length === 0;
  return false;
}

/** A value liquidjs's equality treats specially: a Drop (nil, empty, blank) or a list. */
function isSpecial(v: unknown): boolean {
  return v instanceof Drop || Array.isArray(v);
}

function toValue(value: unknown): unknown {
  return value instanceof Drop && typeof value.valueOf === 'function' ? value.valueOf() : value;
}

/** The emitter's stringify. */
function stringify(value: unknown): string {
  const v = toValue(value);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => stringify(x)).join('');
  return String(v);
}

/** What a `for` iterates, as liquidjs's toEnumerable. */
function toEnumerable(val: unknown): unknown[] {
  const v = toValue(val);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return v.length > 0 ? [v] : [];
  if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
    if (Symbol.iterator in (v as object)) return Array.from(v as Iterable<unknown>);
    return Object.keys(v as object).map((key) => [key, (v as Record<string, unknown>)[key]]);
  }
  return [];
}

function isIterator(v: unknown): v is Iterator<unknown> {
  const o = v as { next?: unknown; throw?: unknown; return?: unknown } | null;
  return (
    !!o && typeof o.next === 'function' && typeof o.throw === 'function' && typeof o.return === 'function'
  );
}
