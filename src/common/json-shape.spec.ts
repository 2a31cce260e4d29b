import { jsonShapeProblem } from './json-shape';

const limits = { depth: 3, width: 3, members: 6 };

describe('jsonShapeProblem', () => {
  it('counts nesting of objects and arrays, not brackets inside strings', () => {
    expect(jsonShapeProblem('{"a":[{"b":1}]}', limits)).toBeNull();
    expect(jsonShapeProblem('{"a":[{"b":[1]}]}', limits)).toBe(
      'body nests objects or arrays deeper than 3 levels',
    );
    expect(jsonShapeProblem('{"a":"[[[[[[{{{{"}', { ...limits, depth: 1 })).toBeNull();
    expect(jsonShapeProblem('{"a":"\\"[[[[["}', { ...limits, depth: 1 })).toBeNull();
  });

  it('handles a million levels without recursion', () => {
    expect(jsonShapeProblem('['.repeat(1_000_000), { ...limits, depth: 64 })).toBe(
      'body nests objects or arrays deeper than 64 levels',
    );
  });

  it('bounds the members of one object or array, commas inside strings aside', () => {
    expect(jsonShapeProblem('{"a":1,"b":2,"c":3}', limits)).toBeNull();
    expect(jsonShapeProblem('{"a":1,"b":2,"c":3,"d":4}', limits)).toBe(
      'body has an object or array with more than 3 members',
    );
    expect(jsonShapeProblem('[1,2,3,4]', limits)).toBe(
      'body has an object or array with more than 3 members',
    );
    expect(jsonShapeProblem('{"a":"x,y,z,w,v"}', limits)).toBeNull();
  });

  it('bounds the members of the whole document, empty objects and arrays counting none', () => {
    expect(jsonShapeProblem('{"a":[1,2],"b":{"c":1,"d":[]}}', limits)).toBeNull();
    expect(jsonShapeProblem('{"a":[1,2,3],"b":{"c":1,"d":2}}', limits)).toBe(
      'body has more than 6 members in all',
    );
    expect(jsonShapeProblem('[[],[],{}]', limits)).toBeNull();
  });
});
