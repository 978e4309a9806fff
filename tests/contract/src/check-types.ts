// Fails, listing them, when a property of the generated types has no precise type: `unknown` (a schema with no
// `type`), or `Record<string, never>` (an object schema with no properties), anywhere in the property's type.
// Usage: node build/src/check-types.js generated/api.d.ts
import { readFileSync } from "node:fs";
import ts from "typescript";

export interface Untyped {
  where: string;
  type: string;
}

function nameOf(name: ts.PropertyName): string {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText();
}

/** `unknown` or `Record<string, never>` in a type, not looking inside object literals (their members are
 * properties of their own, checked where they stand). */
function isImprecise(type: ts.TypeNode | undefined): boolean {
  if (type === undefined) return true;
  if (type.kind === ts.SyntaxKind.UnknownKeyword) return true;
  if (ts.isTypeLiteralNode(type)) return false;
  if (ts.isTypeReferenceNode(type) && type.typeName.getText() === "Record") {
    const [key, value] = type.typeArguments ?? [];
    if (key?.kind === ts.SyntaxKind.StringKeyword && value?.kind === ts.SyntaxKind.NeverKeyword) return true;
  }
  let found = false;
  type.forEachChild((child) => {
    if (!found && ts.isTypeNode(child)) found = isImprecise(child);
  });
  return found;
}

/** The generator gives every response `headers: { [name: string]: unknown }` for headers nobody documented. */
function isUndocumentedHeaders(member: ts.IndexSignatureDeclaration, owner: string[]): boolean {
  return owner.at(-1) === "headers" && member.parameters[0]?.name.getText() === "name";
}

function readable(owner: string[], member: string): string {
  const parts = [...owner, member];
  if (parts[0] === "components" && parts[1] === "schemas") return parts.slice(2).join(".");
  return parts.join(" ");
}

export function findUntyped(source: ts.SourceFile): Untyped[] {
  const found: Untyped[] = [];
  const visit = (node: ts.Node, owner: string[]): void => {
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) {
      node.forEachChild((child) => visit(child, [node.name.text]));
      return;
    }
    if (ts.isPropertySignature(node)) {
      const name = nameOf(node.name);
      if (isImprecise(node.type)) found.push({ where: readable(owner, name), type: node.type?.getText() ?? "(none)" });
      node.forEachChild((child) => visit(child, [...owner, name]));
      return;
    }
    if (ts.isIndexSignatureDeclaration(node)) {
      if (!isUndocumentedHeaders(node, owner) && isImprecise(node.type)) {
        const key = `[${node.parameters[0]?.getText() ?? "key"}]`;
        found.push({ where: readable(owner, key), type: node.type.getText() });
      }
      return;
    }
    node.forEachChild((child) => visit(child, owner));
  };
  visit(source, []);
  return found;
}

function main(file: string): number {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const untyped = findUntyped(source);
  if (untyped.length === 0) {
    console.log(`check-types: every property in ${file} has a precise type`);
    return 0;
  }
  console.log(`check-types: ${untyped.length} properties without a precise type in ${file}:`);
  for (const { where, type } of untyped) console.log(`  ${where}: ${type}`);
  return 1;
}

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: check-types <generated .d.ts>");
  process.exit(2);
}
process.exit(main(file));
