# The console in English. Every message has its Russian twin in ru.ftl (a test checks).
console-name = Concord
nav-dashboard = Dashboard
nav-sign-in = Sign in
nav-sign-out = Sign out
language-switch = Русский
signed-in-as = Signed in as { $name } ({ $affiliation })
reads-as-public = You read what is public.

login-title = Sign in to Concord
login-username = Username
login-password = Password
login-submit = Sign in
login-wrong = Wrong username or password.
login-missing = Fill in both the username and the password.
login-throttled = Too many failed sign-ins for this account. Try again in { $minutes } min.
form-expired = This form has expired or did not come from Concord. Please try again.

dashboard-title = Dashboard
dashboard-chair = Chairmanship { $year }
dashboard-chair-none = No member can chair in { $year }.
dashboard-next-session = Next session
dashboard-no-session = No session is planned.
dashboard-members = Member states today
dashboard-situations = Open situations
dashboard-no-situations = No situation you may read.
dashboard-alerts = Latest alerts
dashboard-no-alerts = No alert you may read.
level = Crisis level: { $level }
status-member = member
status-frozen = participation frozen
status-suspended = suspended
status-partner = partner
status-observer = observer
status-withdrawn = withdrawn

press-title = Joint press centre
press-intro = Documents the organisation adopted, and its sessions. Subscribe to the feed or the calendar.
press-documents = Adopted documents
press-no-documents = No adopted document yet.
press-feed = Atom feed of documents
press-calendar = Calendar of sessions (iCalendar)
