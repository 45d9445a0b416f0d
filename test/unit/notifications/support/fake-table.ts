import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DeleteItemCommandInput,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';

/**
 * A DynamoDB table held in memory behind aws-sdk-client-mock: PutItem, GetItem,
 * UpdateItem (SET/REMOVE) and DeleteItem, with condition expressions evaluated the
 * way DynamoDB does for the grammar the notifier uses (attribute_exists,
 * attribute_not_exists, = <> < <= > >=, AND, OR, NOT, parentheses). Conditional
 * writes are what deduplication rests on, so the tests run them for real.
 */

type Item = Record<string, AttributeValue>;

interface ExpressionContext {
  names?: Record<string, string>;
  values?: Record<string, AttributeValue>;
}

type Operand = { kind: 'path'; name: string } | { kind: 'value'; value: AttributeValue };

function tokenize(expression: string): string[] {
  return expression.match(/attribute_not_exists|attribute_exists|<>|<=|>=|[()=<>,]|[#:]?[A-Za-z0-9_]+/g) ?? [];
}

function scalar(value: AttributeValue | undefined): string | number | undefined {
  if (!value) return undefined;
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return String(value.BOOL);
  throw new Error(`fake table: unsupported attribute value ${JSON.stringify(value)}`);
}

/** Evaluates a condition expression against an item (undefined: no item). */
function evaluate(expression: string, item: Item | undefined, context: ExpressionContext): boolean {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const next = (): string => {
    const token = tokens[position];
    if (token === undefined) throw new Error(`fake table: unexpected end of "${expression}"`);
    position += 1;
    return token;
  };
  const expect = (token: string): void => {
    const got = next();
    if (got !== token) throw new Error(`fake table: expected "${token}", got "${got}" in "${expression}"`);
  };
  const attributeName = (token: string): string => {
    if (!token.startsWith('#')) return token;
    const name = context.names?.[token];
    if (name === undefined) throw new Error(`fake table: ${token} is not in ExpressionAttributeNames`);
    return name;
  };
  const operand = (): Operand => {
    const token = next();
    if (token.startsWith(':')) {
      const value = context.values?.[token];
      if (value === undefined) throw new Error(`fake table: ${token} is not in ExpressionAttributeValues`);
      return { kind: 'value', value };
    }
    return { kind: 'path', name: attributeName(token) };
  };
  const resolve = (op: Operand): string | number | undefined => (op.kind === 'value' ? scalar(op.value) : scalar(item?.[op.name]));

  const primary = (): boolean => {
    const token = peek();
    if (token === '(') {
      next();
      const result = or();
      expect(')');
      return result;
    }
    if (token === 'NOT') {
      next();
      return !primary();
    }
    if (token === 'attribute_exists' || token === 'attribute_not_exists') {
      next();
      expect('(');
      const name = attributeName(next());
      expect(')');
      const exists = item !== undefined && item[name] !== undefined;
      return token === 'attribute_exists' ? exists : !exists;
    }
    const left = resolve(operand());
    const comparator = next();
    const right = resolve(operand());
    if (left === undefined || right === undefined) return comparator === '<>' ? left !== right : false;
    switch (comparator) {
      case '=':
        return left === right;
      case '<>':
        return left !== right;
      case '<':
        return left < right;
      case '<=':
        return left <= right;
      case '>':
        return left > right;
      case '>=':
        return left >= right;
      default:
        throw new Error(`fake table: unsupported comparator "${comparator}"`);
    }
  };
  const and = (): boolean => {
    let result = primary();
    while (peek() === 'AND') {
      next();
      const right = primary();
      result = result && right;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (peek() === 'OR') {
      next();
      const right = and();
      result = result || right;
    }
    return result;
  };
  const result = or();
  if (position !== tokens.length) throw new Error(`fake table: could not read all of "${expression}"`);
  return result;
}

/** Applies `SET a = :x, #b = :y REMOVE c, #d`. */
function applyUpdate(expression: string, item: Item, context: ExpressionContext): Item {
  const updated = { ...item };
  const sections = expression.split(/\b(SET|REMOVE)\b/).map((part) => part.trim()).filter(Boolean);
  const name = (token: string): string => (token.startsWith('#') ? (context.names?.[token] ?? token) : token);
  for (let i = 0; i < sections.length; i += 2) {
    const [action, body = ''] = [sections[i], sections[i + 1]];
    for (const clause of body.split(',').map((part) => part.trim())) {
      if (action === 'SET') {
        const [path = '', valueToken = ''] = clause.split('=').map((part) => part.trim());
        const value = context.values?.[valueToken];
        if (!value) throw new Error(`fake table: ${valueToken} is not in ExpressionAttributeValues`);
        updated[name(path)] = value;
      } else if (action === 'REMOVE') {
        delete updated[name(clause)];
      } else {
        throw new Error(`fake table: unsupported update action ${action}`);
      }
    }
  }
  return updated;
}

class FakeTable {
  public readonly items = new Map<string, Item>();

  /** Wires the table to a DynamoDBClient mock (call after every mock reset). */
  public attach(mock: AwsClientStub<DynamoDBClient>): void {
    mock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => this.put(input));
    mock.on(GetItemCommand).callsFake((input: GetItemCommandInput) => ({ Item: this.items.get(this.key(input.Key)) }));
    mock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => this.update(input));
    mock.on(DeleteItemCommand).callsFake((input: DeleteItemCommandInput) => this.delete(input));
  }

  /** The item under a key, as plain values (S and N). */
  public get(pk: string): Record<string, string | number | undefined> | undefined {
    const item = this.items.get(pk);
    return item && Object.fromEntries(Object.entries(item).map(([name, value]) => [name, scalar(value)]));
  }

  private key(key: Item | undefined): string {
    const pk = key?.pk?.S;
    if (pk === undefined) throw new Error('fake table: the key is { pk: { S } }');
    return pk;
  }

  private check(expression: string | undefined, item: Item | undefined, context: ExpressionContext): void {
    if (expression && !evaluate(expression, item, context)) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
    }
  }

  private put(input: PutItemCommandInput): object {
    const item = input.Item ?? {};
    const pk = this.key(item);
    this.check(input.ConditionExpression, this.items.get(pk), { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues });
    this.items.set(pk, { ...item });
    return {};
  }

  private update(input: UpdateItemCommandInput): object {
    const pk = this.key(input.Key);
    const context = { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues };
    const existing = this.items.get(pk);
    this.check(input.ConditionExpression, existing, context);
    this.items.set(pk, applyUpdate(input.UpdateExpression ?? '', existing ?? { pk: { S: pk } }, context));
    return {};
  }

  private delete(input: DeleteItemCommandInput): object {
    const pk = this.key(input.Key);
    this.check(input.ConditionExpression, this.items.get(pk), { names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues });
    this.items.delete(pk);
    return {};
  }
}

export { FakeTable, evaluate as evaluateCondition };
