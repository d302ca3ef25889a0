// A charge point on a third-party OCPP 1.6J stack: ocpp-rpc in strict mode, so
// that every message either way is checked against the OCPP 1.6 JSON schemas
// (formats included). Driven by tests/integration/test_ocpp_strict_client.py.
//
//   node charger.js <ws url of the central system> <identity> <card> [password]
//
// Runs boot, heartbeat, status, authorize (the card, then an unknown one), and a
// transaction with meter values and stop; answers the central system's calls
// (RemoteStart/StopTransaction, UnlockConnector, ...). Prints one JSON object:
// each step's answer or error, the calls received, and every strict-validation
// failure seen (none is expected).
'use strict';

const { RPCClient } = require('ocpp-rpc');

const [endpoint, identity, card, password] = process.argv.slice(2);
const report = { steps: {}, received: [], failures: [] };

function stamp(minutesAgo = 0) {
    return new Date(Date.now() - minutesAgo * 60000).toISOString();
}

async function step(name, method, params) {
    try {
        report.steps[name] = { answer: await cli.call(method, params) };
    } catch (err) {
        report.steps[name] = { error: err.rpcErrorCode || err.name, message: err.message };
    }
    return report.steps[name];
}

const cli = new RPCClient({
    endpoint,
    identity,
    password,
    protocols: ['ocpp1.6'],
    strictMode: true,
    reconnect: false,
    callTimeoutMs: 20000,
});

cli.on('strictValidationFailure', (event) => {
    report.failures.push({
        message: event.error && event.error.message,
        outbound: event.outbound,
        isCall: event.isCall,
        method: event.method,
        params: event.params,
    });
});

const ACCEPTED = { status: 'Accepted' };
for (const method of [
    'RemoteStartTransaction', 'RemoteStopTransaction', 'UnlockConnector',
    'ChangeAvailability', 'Reset', 'ChangeConfiguration', 'TriggerMessage',
]) {
    cli.handle(method, ({ params }) => {
        report.received.push({ method, params });
        return method === 'UnlockConnector' ? { status: 'Unlocked' } : ACCEPTED;
    });
}
cli.handle('GetConfiguration', ({ params }) => {
    report.received.push({ method: 'GetConfiguration', params });
    return { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }] };
});

async function main() {
    await cli.connect();
    report.protocol = cli.protocol;
    await step('boot', 'BootNotification', {
        chargePointVendor: 'ocpp-rpc',
        chargePointModel: 'strict-client',
        firmwareVersion: '2.2.1',
    });
    await step('heartbeat', 'Heartbeat', {});
    await step('status', 'StatusNotification', {
        connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: stamp(),
    });
    await step('authorize', 'Authorize', { idTag: card });
    await step('authorize_unknown', 'Authorize', { idTag: 'UNKNOWN0000001' });
    await step('preparing', 'StatusNotification', {
        connectorId: 1, errorCode: 'NoError', status: 'Preparing', timestamp: stamp(),
    });
    const start = await step('start', 'StartTransaction', {
        // the transaction's own times span half an hour (a plausible 3-6 kW)
        connectorId: 1, idTag: card, meterStart: 1000, timestamp: stamp(30),
    });
    if (start.answer) {
        const transactionId = start.answer.transactionId;
        await step('charging', 'StatusNotification', {
            connectorId: 1, errorCode: 'NoError', status: 'Charging', timestamp: stamp(),
        });
        for (const [n, wh, ago] of [[1, 1500, 20], [2, 2500, 10]]) {
            await step(`meter_values_${n}`, 'MeterValues', {
                connectorId: 1,
                transactionId,
                meterValue: [{
                    timestamp: stamp(ago),
                    sampledValue: [
                        { value: String(wh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
                        { value: '7400', measurand: 'Power.Active.Import', unit: 'W', context: 'Sample.Periodic' },
                    ],
                }],
            });
        }
        await step('stop', 'StopTransaction', {
            transactionId, idTag: card, meterStop: 3000, timestamp: stamp(), reason: 'Local',
        });
        await step('finishing', 'StatusNotification', {
            connectorId: 1, errorCode: 'NoError', status: 'Finishing', timestamp: stamp(),
        });
    }
    if (process.env.OCPP_CLIENT_LINGER_MS) {  // answer the central system's calls
        await new Promise((done) => setTimeout(done, Number(process.env.OCPP_CLIENT_LINGER_MS)));
    }
    await cli.close({ code: 1000 });
}

main().then(
    () => { process.stdout.write(JSON.stringify(report) + '\n'); },
    (err) => {
        report.fatal = String(err && err.stack || err);
        process.stdout.write(JSON.stringify(report) + '\n');
        process.exitCode = 1;
    },
);
