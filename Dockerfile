FROM python:3.11-slim
WORKDIR /srv/goodplay
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 APP_ENV=production PORT=5003
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system goodplay && chown -R goodplay /srv/goodplay
USER goodplay
EXPOSE 5003
# One worker process with threads: Socket.IO in threading mode needs sticky sessions across
# processes; scale out with more containers behind a sticky proxy and REDIS_URL set.
# The database is set up first (idempotent); docker-compose.yml runs that step once, as its own service.
CMD ["sh", "-c", "flask --app app goodplay init && exec gunicorn -w 1 --threads 100 -b 0.0.0.0:${PORT} --access-logfile - 'app:create_app()'"]
