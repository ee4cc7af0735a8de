'''python-dbusmock polkitd template, extended with challenges and cancellation (setters' tests)

Everything of the stock "polkitd" template, plus
* SetChallenge(as): for those actions a caller without ALLOW_USER_INTERACTION (flags & 1) gets
  "not authorized, challenge" - what polkitd answers for auth_admin actions - and a caller with
  it is authorized, as if the user had typed the administrator's password into an agent;
* CancelCheckAuthorization(s): as polkitd does, a hanging check of the same caller with that
  cancellation id fails with org.freedesktop.PolicyKit1.Error.Cancelled (the calls are recorded,
  so a test can see that the daemon cancelled a check it gave up on).
'''
# pylint: disable=wildcard-import,unused-wildcard-import,invalid-name
import dbus

from dbusmock import MOCK_IFACE
from dbusmock.templates.polkitd import *  # noqa: F401,F403
from dbusmock.templates.polkitd import MAIN_IFACE
from dbusmock.templates.polkitd import load as _stock_load

ALLOW_USER_INTERACTION = 1


class Cancelled(dbus.exceptions.DBusException):
    _dbus_error_name = 'org.freedesktop.PolicyKit1.Error.Cancelled'


def load(mock, parameters):
    _stock_load(mock, parameters)
    mock.challenge = []
    # (sender, cancellation id) -> the error callback of a hanging check
    mock.cancellable = {}


@dbus.service.method(MAIN_IFACE,
                     in_signature='(sa{sv})sa{ss}us',
                     out_signature='(bba{ss})',
                     sender_keyword='sender',
                     async_callbacks=('ok_cb', 'err_cb'))
def CheckAuthorization(self, _subject, action_id, _details, flags,
                       cancellation_id, ok_cb, err_cb, sender=None):
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
        if cancellation_id:
            self.cancellable[(sender, cancellation_id)] = (ok_cb, err_cb)
    else:
        ok_cb(ret)


@dbus.service.method(MAIN_IFACE, in_signature='s', out_signature='', sender_keyword='sender')
def CancelCheckAuthorization(self, cancellation_id, sender=None):
    '''Fails the caller's hanging check with this cancellation id'''
    callbacks = self.cancellable.pop((sender, cancellation_id), None)
    if callbacks is None:
        return
    ok_cb, err_cb = callbacks
    self.hanging_calls = [c for c in self.hanging_calls if c[0] is not ok_cb]
    err_cb(Cancelled('Authorization check was cancelled'))


@dbus.service.method(MOCK_IFACE, in_signature='as', out_signature='')
def SetChallenge(self, actions):
    '''Actions that need an administrator's password (auth_admin)'''
    self.challenge = actions


@dbus.service.method(MOCK_IFACE, in_signature='', out_signature='')
def ReleaseHangingCalls(self):
    '''Answers every hanging check (which can then no longer be cancelled)'''
    for (cb, ret) in self.hanging_calls:
        cb(ret)
    self.hanging_calls = []
    self.cancellable = {}
