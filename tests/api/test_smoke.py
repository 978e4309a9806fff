def test_health_answers_healthy(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json == {"success": True, "message": "HEALTHY", "data": {"status": "healthy"}}
