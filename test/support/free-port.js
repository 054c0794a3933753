import net from 'node:net';
/** A port that was free on 127.0.0.1 a moment ago. */
export async function freeLoopbackPort() {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            if (address === null || typeof address === 'string') {
                server.close();
                reject(new Error('could not determine a free port'));
                return;
            }
            server.close(() => resolve(address.port));
        });
    });
}
//# sourceMappingURL=free-port.js.map