'''python-dbusmock polkitd template, extended with challenges (for the setters' tests)

Everything of the stock "polkitd" template, plus SetChallenge(as): for those actions a caller
without ALLOW_USER_INTERACTION (flags & 1) gets "not authorized, challenge" - what polkitd answers
for auth_admin actions - and a caller with it is authorized, as if the user had typed the
administrator's password into an agent.
'''
# pylint: disable=wildcard-import,unused-wildcard-import,invalid-name
import dbus

from dbusmock import MOCK_IFACE
from dbusmock.templates.polkitd import *  # noqa: F401,F403
from dbusmock.templates.polkitd import MAIN_IFACE
from dbusmock.templates.polkitd import load as _stock_load

ALLOW_USER_INTERACTION = 1


def load(mock, parameters):
    _stock_load(mock, parameters)
    mock.challenge = []


@dbus.service.method(MAIN_IFACE,
                     in_signature='(sa{sv})sa{ss}us',
                     out_signature='(bba{ss})',
                     async_callbacks=('ok_cb', '_err_cb'))
def CheckAuthorization(self, _subject, action_id, _details, flags,
                       _cancellation_id, ok_cb, _err_cb):
    allowed = action_id in self.allowed or self.allow_unknown
    challenge = False
    if not allowed and action_id in self.challenge:
        if flags & ALLOW_USER_INTERACTION:
            allowed = True
        else:
            challenge = True
    ret = (allowed, challenge, {})
    if self.simulate_hang or action_id in self.hanging_actions:
        self.hanging_calls.append((ok_cb, ret))
    else:
        ok_cb(ret)


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetChallenge(self, actions):
    '''Actions that need an administrator's password (auth_admin)'''
    self.challenge = actions
