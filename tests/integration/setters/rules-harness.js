// Evaluates a polkit .rules file the way polkitd does (a global "polkit" with addRule() and
// Result), then answers every (user, action) pair given on the command line as JSON.
// Usage: node rules-harness.js RULES_FILE USER:ACTION...
'use strict';
const fs = require('fs');
const vm = require('vm');

const Result = {
        NO: 'no',
        YES: 'yes',
        AUTH_SELF: 'auth_self',
        AUTH_SELF_KEEP: 'auth_self_keep',
        AUTH_ADMIN: 'auth_admin',
        AUTH_ADMIN_KEEP: 'auth_admin_keep',
        NOT_HANDLED: null,
};
const rules = [];
const polkit = {
        Result: Result,
        addRule: (f) => rules.push(f),
        addAdminRule: () => {},
        log: () => {},
        spawn: () => { throw new Error('rules must not spawn programs'); },
};

// A fresh context with only what polkitd provides: no require(), no process.
const context = vm.createContext({ polkit: polkit });
vm.runInContext(fs.readFileSync(process.argv[2], 'utf8'), context, { filename: process.argv[2] });

const answers = {};
for (const pair of process.argv.slice(3)) {
        const [user, actionId] = pair.split(':');
        const action = { id: actionId, lookup: () => undefined };
        const subject = {
                user: user, pid: 1234, groups: [user], seat: '', session: '',
                local: false, active: false,
                isInGroup: (g) => g === user,
                isInNetGroup: () => false,
        };
        let verdict = Result.NOT_HANDLED;
        // Like polkitd: rules run in order; the first one that returns something decides.
        for (const rule of rules) {
                const r = rule(action, subject);
                if (r !== undefined && r !== null) {
                        verdict = r;
                        break;
                }
        }
        answers[pair] = verdict;
}
process.stdout.write(JSON.stringify({ rules: rules.length, answers: answers }) + '\n');
