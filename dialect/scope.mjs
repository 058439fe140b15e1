// Scope analysis for the dialect gate: walks an acorn (ESTree) tree once, records every
// node's parent, every declaration (as a Binding in the Scope that owns it) and every
// identifier reference (as a Ref), then resolves each Ref through the scope chain.
// Small and self-contained on purpose: no acorn-walk, no eslint-scope.

/**
 * A loosely typed ESTree node: the gate reads many node types, and spelling each one out
 * would add nothing that the tests do not already check.
 * @typedef {{ type: string, start: number, end: number, loc?: import("acorn").SourceLocation | null, [key: string]: any }} Node
 */
/**
 * @typedef {"var"|"let"|"const"|"function"|"class"|"param"|"catch"|"fname"|"cname"} BindingKind
 * @typedef {{ name: string, kind: BindingKind, id: Node, decls: Node[], scope: Scope, refs: Ref[] }} Binding
 *   `decls`: the declaring statements (VariableDeclaration, FunctionDeclaration, class, catch
 *   clause, function, class expression), first one first.
 * @typedef {{ node: Node, scope: Scope, binding: Binding | null }} Ref
 * @typedef {{ kind: "function"|"block"|"name", node: Node, parent: Scope | null, fn: Node, bindings: Map<string, Binding> }} Scope
 *   `fn`: the function (or Program) the scope belongs to; "name" scopes hold the own name of a
 *   named function or class expression.
 * @typedef {{ parents: Map<Node, Node | null>, refs: Ref[], bindings: Binding[], scopes: Scope[] }} Analysis
 */

const FUNCTION_TYPES = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);
const SKIP_KEYS = new Set(["type", "start", "end", "loc", "range", "regex"]);

/** @param {Node | null | undefined} node */
export function isFunction(node) {
  return !!node && FUNCTION_TYPES.has(node.type);
}

/** @param {unknown} v @returns {v is Node} */
function isNode(v) {
  return !!v && typeof v === "object" && typeof (/** @type {any} */ (v).type) === "string";
}

/**
 * @param {Node} program
 * @returns {Analysis}
 */
export function analyze(program) {
  /** @type {Map<Node, Node | null>} */
  const parents = new Map();
  /** @type {Ref[]} */
  const refs = [];
  /** @type {Binding[]} */
  const bindings = [];
  /** @type {Scope[]} */
  const scopes = [];

  /** @param {Scope["kind"]} kind @param {Node} node @param {Scope | null} parent @param {Node} [fn] */
  function newScope(kind, node, parent, fn) {
    /** @type {Scope} */
    const s = { kind, node, parent, fn: fn || (parent ? parent.fn : node), bindings: new Map() };
    scopes.push(s);
    return s;
  }

  /** @param {Scope} scope */
  function functionScope(scope) {
    /** @type {Scope | null} */
    let s = scope;
    while (s && s.kind !== "function") s = s.parent;
    return /** @type {Scope} */ (s);
  }

  /** @param {Node} id @param {BindingKind} kind @param {Scope} scope @param {Node} decl */
  function declare(id, kind, scope, decl) {
    const existing = scope.bindings.get(id.name);
    if (existing) {
      existing.decls.push(decl);
      return;
    }
    /** @type {Binding} */
    const b = { name: id.name, kind, id, decls: [decl], scope, refs: [] };
    scope.bindings.set(id.name, b);
    bindings.push(b);
  }

  /**
   * Declares the names of a binding pattern; default values and computed keys inside it are
   * ordinary expressions.
   * @param {Node} pat @param {Node} parent @param {BindingKind} kind @param {Scope} target
   * @param {Node} decl @param {Scope} scope the scope that expressions inside the pattern see
   */
  function pattern(pat, parent, kind, target, decl, scope) {
    parents.set(pat, parent);
    switch (pat.type) {
      case "Identifier":
        declare(pat, kind, target, decl);
        return;
      case "ObjectPattern":
        for (const p of pat.properties) {
          parents.set(p, pat);
          if (p.type === "RestElement") pattern(p.argument, p, kind, target, decl, scope);
          else {
            if (p.computed) visit(p.key, p, scope);
            else parents.set(p.key, p);
            pattern(p.value, p, kind, target, decl, scope);
          }
        }
        return;
      case "ArrayPattern":
        for (const e of pat.elements) if (e) pattern(e, pat, kind, target, decl, scope);
        return;
      case "AssignmentPattern":
        pattern(pat.left, pat, kind, target, decl, scope);
        visit(pat.right, pat, scope);
        return;
      case "RestElement":
        pattern(pat.argument, pat, kind, target, decl, scope);
        return;
      default:
        // e.g. a member expression as a for-in target: an ordinary expression
        visit(pat, parent, scope);
    }
  }

  /** @param {Node} fn @param {Scope} outer */
  function visitFunction(fn, outer) {
    const s = newScope("function", fn, outer, fn);
    for (const p of fn.params) pattern(p, fn, "param", s, fn, s);
    if (fn.body.type === "BlockStatement") {
      // the body block shares the function's scope (params and top-level lets are one scope
      // as far as name resolution goes)
      parents.set(fn.body, fn);
      for (const st of fn.body.body) visit(st, fn.body, s);
    } else visit(fn.body, fn, s);
  }

  /** @param {Node} cls @param {Scope} scope */
  function visitClass(cls, scope) {
    if (cls.superClass) visit(cls.superClass, cls, scope);
    parents.set(cls.body, cls);
    for (const m of cls.body.body) {
      parents.set(m, cls.body);
      if (m.type === "StaticBlock") {
        const s = newScope("function", m, scope, m);
        for (const st of m.body) visit(st, m, s);
        continue;
      }
      if (m.computed) visit(m.key, m, scope);
      else parents.set(m.key, m);
      if (m.value) visit(m.value, m, scope);
    }
  }

  /** @param {Node} node @param {Node | null} parent @param {Scope} scope */
  function visit(node, parent, scope) {
    parents.set(node, parent);
    switch (node.type) {
      case "Program": {
        const s = newScope("function", node, null, node);
        for (const st of node.body) visit(st, node, s);
        return;
      }
      case "Identifier":
        refs.push({ node, scope, binding: null });
        return;
      case "FunctionDeclaration":
        parents.set(node.id, node);
        declare(node.id, "function", scope, node);
        visitFunction(node, scope);
        return;
      case "FunctionExpression":
        if (node.id) {
          const s = newScope("name", node, scope);
          parents.set(node.id, node);
          declare(node.id, "fname", s, node);
          visitFunction(node, s);
        } else visitFunction(node, scope);
        return;
      case "ArrowFunctionExpression":
        visitFunction(node, scope);
        return;
      case "ClassDeclaration":
        parents.set(node.id, node);
        declare(node.id, "class", scope, node);
        visitClass(node, scope);
        return;
      case "ClassExpression":
        if (node.id) {
          const s = newScope("name", node, scope);
          parents.set(node.id, node);
          declare(node.id, "cname", s, node);
          visitClass(node, s);
        } else visitClass(node, scope);
        return;
      case "VariableDeclaration": {
        const kind = /** @type {BindingKind} */ (node.kind);
        const target = kind === "var" ? functionScope(scope) : scope;
        for (const d of node.declarations) {
          parents.set(d, node);
          pattern(d.id, d, kind, target, node, scope);
          if (d.init) visit(d.init, d, scope);
        }
        return;
      }
      case "BlockStatement": {
        const s = newScope("block", node, scope);
        for (const st of node.body) visit(st, node, s);
        return;
      }
      case "ForStatement": {
        const s = newScope("block", node, scope);
        for (const k of ["init", "test", "update", "body"]) if (node[k]) visit(node[k], node, s);
        return;
      }
      case "ForInStatement":
      case "ForOfStatement": {
        const s = newScope("block", node, scope);
        visit(node.left, node, s);
        visit(node.right, node, s);
        visit(node.body, node, s);
        return;
      }
      case "SwitchStatement": {
        visit(node.discriminant, node, scope);
        const s = newScope("block", node, scope);
        for (const c of node.cases) visit(c, node, s);
        return;
      }
      case "CatchClause": {
        const s = newScope("block", node, scope);
        if (node.param) pattern(node.param, node, "catch", s, node, s);
        visit(node.body, node, s);
        return;
      }
      case "MemberExpression":
        visit(node.object, node, scope);
        if (node.computed) visit(node.property, node, scope);
        else parents.set(node.property, node);
        return;
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition":
        if (node.computed) visit(node.key, node, scope);
        else parents.set(node.key, node);
        if (node.value) visit(node.value, node, scope);
        return;
      case "LabeledStatement":
        parents.set(node.label, node);
        visit(node.body, node, scope);
        return;
      case "BreakStatement":
      case "ContinueStatement":
        if (node.label) parents.set(node.label, node);
        return;
      case "MetaProperty":
        parents.set(node.meta, node);
        parents.set(node.property, node);
        return;
      default:
        for (const key of Object.keys(node)) {
          if (SKIP_KEYS.has(key)) continue;
          const v = node[key];
          if (Array.isArray(v)) {
            for (const c of v) if (isNode(c)) visit(c, node, scope);
          } else if (isNode(v)) visit(v, node, scope);
        }
    }
  }

  visit(program, null, /** @type {Scope} */ (/** @type {unknown} */ (null)));

  for (const r of refs) {
    /** @type {Scope | null} */
    let s = r.scope;
    while (s) {
      const b = s.bindings.get(r.node.name);
      if (b) {
        r.binding = b;
        b.refs.push(r);
        break;
      }
      s = s.parent;
    }
  }
  return { parents, refs, bindings, scopes };
}
