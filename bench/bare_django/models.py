from django.db import models


class Enquiry(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField()
    message = models.TextField(max_length=4000)

    class Meta:
        app_label = "bare_django"

    def __str__(self):
        return self.name
