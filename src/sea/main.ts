/**
 * The single executable's script (npm run sea, scripts/build-sea.mjs): the dispatcher with every
 * command, the decoders and ffi-napi's JavaScript bundled in; src/sea/own-modules.ts stands in
 * for the code-cache loader and src/sea/addons.ts for node-gyp-build.
 */
import "./invoked-as";
import "../cli";
