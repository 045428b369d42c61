# Консоль на русском. У каждого сообщения есть английский двойник в en.ftl (это проверяет тест).
console-name = Конкорд
nav-dashboard = Обзор
nav-sign-in = Войти
nav-sign-out = Выйти
language-switch = English
signed-in-as = Вы вошли как { $name } ({ $affiliation })
reads-as-public = Вам доступно только открытое.

login-title = Вход в Конкорд
login-username = Имя пользователя
login-password = Пароль
login-submit = Войти
login-wrong = Неверное имя пользователя или пароль.
login-missing = Введите имя пользователя и пароль.
login-throttled = Слишком много неудачных попыток входа для этой учётной записи. Повторите через { $minutes } мин.
form-expired = Срок действия формы истёк, или она отправлена не из Конкорда. Повторите, пожалуйста.

dashboard-title = Обзор
dashboard-chair = Председательство { $year }
dashboard-chair-none = В { $year } году председательствовать некому.
dashboard-next-session = Ближайшая сессия
dashboard-no-session = Сессии не запланированы.
dashboard-members = Государства-члены сегодня
dashboard-situations = Открытые ситуации
dashboard-no-situations = Нет ситуаций, доступных вам.
dashboard-alerts = Последние оповещения
dashboard-no-alerts = Нет оповещений, доступных вам.
level = Уровень кризиса: { $level }
status-member = член
status-frozen = участие заморожено
status-suspended = приостановлено
status-partner = партнёр
status-observer = наблюдатель
status-withdrawn = вышел

press-title = Объединённый пресс-центр
press-intro = Документы, принятые организацией, и её сессии. Подпишитесь на ленту или календарь.
press-documents = Принятые документы
press-no-documents = Принятых документов пока нет.
press-feed = Лента документов (Atom)
press-calendar = Календарь сессий (iCalendar)
