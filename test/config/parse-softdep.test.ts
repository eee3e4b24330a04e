import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfigFile, parseSoftdep } from "../../src/config/parse";
import { emptyConfig } from "../../src/config/types";

describe("softdep and weakdep values", () => {
  it("split at kmod's separators (space, \\t, \\n, \\v, \\f, \\r) only", () => {
    const parsed = parseSoftdep("m", "pre:\ta\vb\fc\rd\u00a0e post: \n f  ");
    assert.deepEqual(parsed.pre, ["a", "b", "c", "d\u00a0e"]);
    assert.deepEqual(parsed.post, ["f"]);
    const config = emptyConfig();
    parseConfigFile(config, "weakdep m \ta\vb\u0085c  \r\n", "f", () => assert.fail("no warning"));
    assert.deepEqual(config.weakdeps, [{ module: "m", deps: ["a", "b\u0085c"] }]);
  });

  it("keep -c's text: each mode's span from its first to its last name, across the other mode's", () => {
    const parsed = parseSoftdep("m", "x pre: a post: b pre: c post: d");
    assert.deepEqual([parsed.pre, parsed.post], [["a", "c"], ["b", "d"]]);
    assert.equal(parsed.text, "pre: a b cpost: b c d");
    assert.equal(parseSoftdep("m", "post: z").text, "post: z");
    assert.equal(parseSoftdep("m", "ignored pre:").text, "");
  });
});
