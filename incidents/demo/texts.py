"""What the people of Ambon and on shift say and write, in Indonesian: names, reports, places,
instructions, field reports and call notes."""

from __future__ import annotations

from dataclasses import dataclass

from incidents.models import CallOutcome, Priority

AMBULANCE_REQUEST_PREFIX = "Permintaan ambulans"

FIRST_NAMES = (
    "Yohanis", "Marthen", "Novita", "Welhelmina", "Abdul", "Ikhsan", "Melky", "Agustina",
    "Rahmat", "Halima", "Oktovianus", "Feby", "Ismail", "Yuliana", "Jacky", "Siti", "Chelsea",
    "Hamid", "Dominggus", "Fatma", "Semuel", "Nurhayati", "Roy", "Elsye",
)  # fmt: skip
FAMILY_NAMES = (
    "Latuconsina", "Tuhumury", "Sahetapy", "Pattiasina", "Lewerissa", "Matulessy", "Latuheru",
    "Tuasikal", "Ohorella", "Marasabessy", "Tahapary", "Manuputty", "Leiwakabessy", "Sopacua",
    "Huwae", "Wattimena", "Tuanakotta", "Hehanussa", "Rehatta", "Loupatty", "Pelupessy",
    "Siwalette", "Tanasale", "Ririmasse", "Lestaluhu", "Tualeka", "Kaplale", "Wakano",
    "Matakupan", "Waliulu", "Tutuarima", "Salampessy", "Angkotasan", "Lessy", "Taihuttu",
    "Nikijuluw", "Pattipeilohy", "Syaranamual",
)  # fmt: skip

# --- What the people on shift write ------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    text: str
    agencies: tuple[str, ...]  # sent at once; the last may instead be called in from the scene
    priority: int | None = None  # None: the category's default
    at_sea: bool = False


P1, P2, P3 = Priority.P1, Priority.P2, Priority.P3
_S = Scenario
SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "KTB": (
        _S("Perkelahian antarkelompok pemuda di {kel}, sebagian membawa senjata tajam. Warga "
           "minta aparat segera datang.", ("polresta", "kodim-1504"), P1),
        _S("Dua orang mabuk sopi membuat keributan dan melempari rumah warga dengan batu.",
           ("polresta",)),
        _S("Pencurian sepeda motor di depan rumah, {n} pelaku kabur ke arah jalan raya.",
           ("polresta",)),
        _S("Pengemudi ojek dianiaya orang tidak dikenal, korban luka di kepala.",
           ("polresta",), P1),
        _S("Keributan di tempat hiburan malam, pengunjung saling pukul.", ("polresta",)),
        _S("Bentrok warga antarkampung, lemparan batu, beberapa rumah rusak. Warga resah.",
           ("polresta", "kodim-1504"), P1),
        _S("Balap liar di jalan raya sejak tengah malam, membahayakan pengguna jalan.",
           ("polresta",), P3),
        _S("Orang tidak dikenal mencoba membuka pintu rumah warga, pelapor ketakutan.",
           ("polresta",)),
        _S("Sekelompok pemuda memalak sopir angkot.", ("polresta",)),
        _S("Kios dibobol, gembok dirusak, pelaku diduga masih di sekitar lokasi.",
           ("polresta",)),
        _S("Cekcok antarwarga soal batas tanah, hampir terjadi perkelahian.",
           ("polresta", "kodim-1504")),
    ),
    "MED": (
        _S("Laki-laki ±{age} tahun pingsan di pinggir jalan, tidak sadarkan diri, masih "
           "bernapas.", ("dinkes",)),
        _S("Warga nyeri dada hebat dan keringat dingin, keluarga menduga serangan jantung.",
           ("dinkes",)),
        _S("Anak usia {child} tahun demam tinggi disertai kejang.", ("dinkes",)),
        _S("Ibu hamil {n} bulan mengalami pendarahan, butuh pertolongan segera.", ("dinkes",)),
        _S("Lansia ±{elder} tahun jatuh di kamar mandi, kepala terbentur, sadar tapi lemas.",
           ("dinkes",), P2),
        _S("Pasien sesak napas berat, riwayat asma, obat di rumah habis.", ("dinkes",)),
        _S("Warga terluka parah setelah jatuh dari pohon kelapa.", ("dinkes",)),
        _S("Korban luka sabetan parang di lengan setelah perkelahian, pendarahan banyak.",
           ("dinkes", "polresta")),
        _S("Keracunan makanan setelah acara syukuran, {n} orang muntah-muntah.", ("dinkes",),
           P2),
        _S("Penderita diabetes tidak sadarkan diri, keluarga panik.", ("dinkes",)),
    ),
    "AMB": (
        _S(AMBULANCE_REQUEST_PREFIX + ": pasien stroke perlu dibawa ke RSUD dr. M. Haulussy.",
           ("dinkes",), P2),
        _S(AMBULANCE_REQUEST_PREFIX + " untuk rujukan pasien dari Puskesmas {pkm} ke rumah "
           "sakit.", ("dinkes",), P2),
        _S(AMBULANCE_REQUEST_PREFIX + ": lansia ±{elder} tahun lumpuh, jadwal kontrol ke rumah "
           "sakit.", ("dinkes",), P3),
        _S(AMBULANCE_REQUEST_PREFIX + ": pasien cuci darah terjadwal, keluarga tidak punya "
           "kendaraan.", ("dinkes",), P3),
        _S(AMBULANCE_REQUEST_PREFIX + ": ibu hendak melahirkan, ketuban sudah pecah.",
           ("dinkes",), P1),
        _S(AMBULANCE_REQUEST_PREFIX + ": pasien patah kaki setelah jatuh dari motor, sudah "
           "dibidai warga.", ("dinkes",), P2),
    ),
    "BNC": (
        _S("Banjir ±{cm} cm merendam rumah warga setelah hujan deras, drainase tersumbat "
           "sampah.", ("bpbd", "dlh")),
        _S("Tanah longsor menutup sebagian badan jalan dan mengancam {n} rumah di lereng.",
           ("bpbd",), P1),
        _S("Pohon besar tumbang menutup jalan dan menimpa kabel listrik.",
           ("bpbd", "dlh", "pln")),
        _S("Angin kencang merusak atap {n} rumah warga.", ("bpbd",)),
        _S("Talud kali jebol, air masuk ke permukiman warga.", ("bpbd",)),
        _S("Gempa terasa cukup kuat, warga panik keluar rumah, dinding rumah retak.",
           ("bpbd", "bmkg")),
        _S("Rumah tertimpa material longsor setelah hujan semalaman, penghuni sempat keluar.",
           ("bpbd",), P1),
        _S("Pohon tumbang menimpa rumah warga, tidak ada korban jiwa.", ("bpbd", "dlh")),
        _S("Air kali meluap, jalan tergenang dan kendaraan tidak bisa lewat.",
           ("bpbd", "dishub")),
    ),
    "HWN": (
        _S("Ular piton sepanjang ±{m} meter masuk ke rumah warga.", ("damkar", "distan")),
        _S("Anjing liar menggigit {n} warga, diduga rabies.", ("distan", "dinkes")),
        _S("Sarang tawon besar di plafon rumah, anak-anak pernah disengat.", ("damkar",)),
        _S("Ular berbisa masuk ke ruang kelas SD, murid dievakuasi guru.",
           ("damkar", "distan")),
        _S("Anjing diduga rabies berkeliaran dan menyerang ternak warga.", ("distan",)),
        _S("Monyet liar masuk ke permukiman dan merusak rumah warga.", ("distan",), P3),
        _S("Biawak besar masuk ke kandang ayam warga.", ("damkar",), P3),
        _S("Kawanan anjing liar mengejar anak-anak pulang sekolah.", ("distan",)),
    ),
    "LAKA": (
        _S("Tabrakan sepeda motor dengan angkot, satu korban luka di kepala.",
           ("polresta", "dinkes", "dishub")),
        _S("Kecelakaan tunggal sepeda motor, pengendara tidak sadarkan diri.",
           ("polresta", "dinkes")),
        _S("Truk rem blong di turunan menabrak pagar rumah, sopir terjepit.",
           ("polresta", "dinkes", "damkar")),
        _S("Mobil terperosok ke selokan, tidak ada korban, kendaraan menutup jalan.",
           ("dishub", "polresta"), P2),
        _S("Pejalan kaki ditabrak sepeda motor, pengendara kabur.", ("polresta", "dinkes")),
        _S("Tabrakan beruntun tiga kendaraan, lalu lintas macet total.",
           ("polresta", "dinkes", "dishub")),
    ),
    "KBK": (
        _S("Kebakaran rumah warga, api membesar dan merambat ke rumah sebelah.",
           ("damkar", "pln")),
        _S("Kebakaran alang-alang di lereng bukit dekat permukiman.", ("damkar",), P2),
        _S("Api dari pembakaran sampah merambat ke pagar dan pohon.", ("damkar",), P2),
        _S("Korsleting listrik di kios pasar, asap tebal keluar dari atap.", ("damkar", "pln")),
        _S("Tabung gas bocor dan terbakar di rumah makan, pengunjung dievakuasi.", ("damkar",)),
        _S("Kebakaran rumah, penghuni lansia terjebak di dalam.", ("damkar", "dinkes", "pln")),
    ),
    "SOS": (
        _S("ODGJ mengamuk dan merusak barang di rumah keluarga, keluarga kewalahan.",
           ("dinsos", "polresta")),
        _S("Orang dengan gangguan jiwa berkeliaran di jalan raya tanpa pakaian.", ("dinsos",)),
        _S("Istri dianiaya suami, anak-anak ketakutan. Pelapor tetangga korban.",
           ("dp3md", "polresta")),
        _S("Anak usia {child} tahun ditemukan sendirian di terminal, tidak tahu alamat rumah.",
           ("dinsos", "dp3md")),
        _S("Lansia sebatang kara sakit di rumah, tidak ada yang merawat.", ("dinsos",), P3),
        _S("Gelandangan tidur di emperan toko, kondisi lemah dan belum makan.", ("dinsos",), P3),
    ),
    "UTL": (
        _S("Kabel listrik putus menjuntai ke jalan, berbahaya bagi pengguna jalan.", ("pln",),
           P1),
        _S("Tiang listrik miring hampir roboh setelah ditabrak mobil.", ("pln", "dishub")),
        _S("Gardu listrik meledak dan memercikkan api, listrik padam satu kampung.",
           ("pln", "damkar"), P1),
        _S("Listrik padam sejak {hours} jam lalu di {kel}, belum ada informasi dari PLN.",
           ("pln",), P3),
        _S("Kabel listrik bersentuhan dengan dahan pohon, keluar percikan api saat hujan.",
           ("pln", "dlh")),
    ),
    "SAR": (
        _S("Perahu ketinting nelayan belum kembali sejak kemarin sore, {n} orang di atas "
           "perahu.", ("basarnas", "polresta"), at_sea=True),
        _S("Warga tenggelam saat berenang di pantai, belum ditemukan.", ("basarnas",),
           at_sea=True),
        _S("Speedboat mati mesin di Teluk Ambon, penumpang minta pertolongan.", ("basarnas",),
           at_sea=True),
        _S("Lansia dengan demensia hilang sejak pagi, keluarga sudah mencari di sekitar "
           "kampung.", ("basarnas", "polresta"), P2),
        _S("Anak terseret arus kali saat hujan deras.", ("basarnas", "bpbd")),
    ),
    "JNZ": (
        _S("Permintaan mobil jenazah dari RSUD dr. M. Haulussy ke rumah duka di {kel}.",
           ("dinkes",)),
        _S("Warga meninggal dunia di rumah, keluarga meminta mobil jenazah.", ("dinkes",)),
        _S("Permintaan mobil jenazah ke Pelabuhan Yos Sudarso, jenazah dibawa ke kampung "
           "halaman.", ("dinkes",)),
    ),
    "INF": (
        _S("Pengaduan lampu jalan mati di sepanjang jalan, warga minta diteruskan ke dinas "
           "terkait.", ()),
        _S("Pengaduan jalan berlubang yang sering membuat pengendara jatuh.", ()),
        _S("Air PDAM tidak mengalir selama {n} hari, warga minta informasi.", ()),
    ),
}  # fmt: skip

# (kelurahan, place) per kecamatan: where reports come from. The names are Kemendagri's, as the
# gazetteer loads them (``load_areas``), so that every demo case is placed in its area.
PLACES: dict[str, tuple[tuple[str, str], ...]] = {
    "Sirimau": (
        ("Honipopu", "Jl. Sultan Babullah, dekat Masjid Raya Al-Fatah"),
        ("Honipopu", "Kawasan Pelabuhan Yos Sudarso"),
        ("Rijali", "Pasar Mardika, Jl. Pantai Mardika"),
        ("Rijali", "Terminal Mardika"),
        ("Uritetu", "Jl. Pattimura, dekat Lapangan Merdeka"),
        ("Amantelu", "Jl. Amantelu"),
        ("Karang Panjang", "Kawasan Patung Martha Christina Tiahahu, Karang Panjang"),
        ("Batu Meja", "Jl. Batu Meja"),
        ("Batu Gajah", "Kawasan Kali Batu Gajah"),
        ("Ahusen", "Jl. Ahusen"),
        ("Waihoka", "Jl. Waihoka"),
        ("Batu Merah", "Jl. Jenderal Sudirman, Batu Merah"),
        ("Batu Merah", "Kawasan Kali Batu Merah"),
        ("Galala", "Ujung Jembatan Merah Putih, Galala"),
        ("Hative Kecil", "Jl. Jenderal Sudirman, Hative Kecil"),
        ("Soya", "Negeri Soya, jalan ke Gunung Sirimau"),
    ),
    "Nusaniwe": (
        ("Benteng", "Jl. Raya Benteng"),
        ("Kudamati", "Jl. Dr. Kayadoe, Kudamati"),
        ("Kudamati", "Depan RSUD dr. M. Haulussy, Kudamati"),
        ("Waihaong", "Jl. Waihaong"),
        ("Mangga Dua", "Jl. Mangga Dua"),
        ("Wainitu", "Jl. Wainitu"),
        ("Silale", "Kawasan Pantai Silale"),
        ("Amahusu", "Jl. Raya Amahusu, dekat Pantai Amahusu"),
        ("Latuhalat", "Pantai Namalatu, Latuhalat"),
        ("Latuhalat", "Jl. Raya Latuhalat"),
        ("Seilale", "Jl. Raya Seilale"),
        ("Urimessing", "Kawasan perbukitan Urimessing"),
        ("Latuhalat", "Pantai Santai, Latuhalat"),
        ("Nusaniwe", "Jl. Nusaniwe"),
    ),
    "Teluk Ambon": (
        ("Poka", "Kampus Universitas Pattimura, Jl. Ir. M. Putuhena"),
        ("Poka", "Ujung Jembatan Merah Putih, Poka"),
        ("Rumah Tiga", "Jl. Ir. M. Putuhena, Rumah Tiga"),
        ("Wayame", "Jl. Ir. M. Putuhena, Wayame, dekat depot Pertamina"),
        ("Tihu", "Kawasan Tihu"),
        ("Hative Besar", "Jl. Ir. M. Putuhena, Hative Besar"),
        ("Tawiri", "Negeri Tawiri, dekat Bandara Pattimura"),
        ("Laha", "Bandara Internasional Pattimura, Laha"),
    ),
    "Baguala": (
        ("Passo", "Pasar Passo"),
        ("Passo", "Jl. Laksdya Leo Wattimena, Passo"),
        ("Halong", "Jl. Laksdya Leo Wattimena, Halong"),
        ("Lateri", "Jl. Laksdya Leo Wattimena, Lateri"),
        ("Nania", "Kawasan pantai Nania"),
        ("Waiheru", "Jalan lintas Passo–Poka, Waiheru"),
        ("Negeri Lama", "Negeri Lama"),
        ("Halong", "Kawasan Lantamal IX, Halong"),
        ("Latta", "Latta"),
    ),
    "Leitimur Selatan": (
        ("Hutumury", "Negeri Hutumury, jalan pesisir"),
        ("Rutong", "Pantai Rutong"),
        ("Leahari", "Negeri Leahari"),
        ("Hukurila", "Negeri Hukurila"),
        ("Ema", "Negeri Ema"),
        ("Kilang", "Negeri Kilang, jalan pegunungan"),
        ("Naku", "Negeri Naku"),
        ("Hatalai", "Negeri Hatalai"),
    ),
}
# Rough centre of each kecamatan's built-up area; demo points scatter around it.
CENTRES = {
    "Sirimau": (-3.6950, 128.1830),
    "Nusaniwe": (-3.7170, 128.1600),
    "Teluk Ambon": (-3.6450, 128.1750),
    "Baguala": (-3.6370, 128.2500),
    "Leitimur Selatan": (-3.7480, 128.2420),
}
# Nusaniwe has a kelurahan and a desa (negeri) of one name, twice over: the demo's places of
# those names are in these.
HOMONYMS = {
    ("Nusaniwe", "Nusaniwe"): "81.71.01.1006",  # kelurahan, in town
    ("Nusaniwe", "Urimessing"): "81.71.01.2005",  # negeri, in the hills
}
PLACE_DETAILS = (
    "RT 00{rt}/RW 0{rw}", "lorong samping gereja", "dekat masjid", "depan kios",
    "dekat pangkalan ojek", "jalan setapak naik ke atas", "depan sekolah", "",
)  # fmt: skip
PUSKESMAS = ("Rijali", "Waihaong", "Benteng", "Passo", "Poka", "Hutumuri", "Latuhalat", "Lateri")
MOBILE_PREFIXES = (
    "0811", "0812", "0813", "0821", "0822", "0823", "0852", "0853", "0857", "0878", "0896",
)  # fmt: skip
INSTRUCTIONS = (
    "", "", "", "Pelapor menunggu di lokasi.", "Mohon segera, korban belum tertangani.",
    "Pelapor dapat dihubungi di nomor yang tercatat.",
    "Akses jalan sempit, gunakan kendaraan kecil.",
)  # fmt: skip
CALLED_IN = ("Permintaan dari petugas di lokasi.", "Tim di lokasi meminta bantuan tambahan.")
RESOLUTIONS: dict[str, tuple[str, ...]] = {
    "polresta": (
        "Personel tiba di lokasi, situasi kembali kondusif.",
        "Pelaku diamankan dan dibawa ke Polresta untuk pemeriksaan.",
        "Massa dibubarkan, patroli dilanjutkan di sekitar lokasi.",
        "Mediasi oleh Bhabinkamtibmas, kedua pihak sepakat berdamai.",
        "Olah TKP selesai, kasus ditindaklanjuti Satreskrim.",
    ),
    "polresta:LAKA": ("Olah TKP selesai, kasus ditangani Satlantas.",),
    "kodim-1504": (
        "Babinsa bersama Polri mengamankan lokasi, situasi kondusif.",
        "Personel Kodim membantu pengamanan hingga situasi aman.",
    ),
    "dinkes": (
        "Tim PSC 119 menangani pasien di tempat, kondisi stabil.",
        "Pasien distabilkan dan dirujuk ke RSUD dr. M. Haulussy.",
        "Pasien dibawa ke RS Bhayangkara dan diterima IGD.",
        "Korban dievakuasi ke Puskesmas terdekat.",
    ),
    "dinkes:AMB": (
        "Pasien dijemput dan diserahterimakan ke IGD rumah sakit tujuan.",
        "Pasien diantar ke RSUD dr. M. Haulussy.",
    ),
    "dinkes:JNZ": ("Jenazah diantar ke rumah duka.", "Jenazah diantar ke pelabuhan."),
    "damkar": (
        "Api berhasil dipadamkan, tidak ada korban jiwa.",
        "Api dipadamkan dan pendinginan selesai; kerugian materiil.",
    ),
    "damkar:HWN": ("Hewan berhasil dievakuasi dan diserahkan ke Dinas Pertanian.",),
    "damkar:LAKA": ("Korban dikeluarkan dari kendaraan dan diserahkan ke tim medis.",),
    "damkar:UTL": ("Area diamankan sampai petugas PLN memutus aliran.",),
    "bpbd": (
        "Tim TRC BPBD melakukan asesmen dan membersihkan material.",
        "Warga terdampak dievakuasi, bantuan logistik disalurkan.",
        "Pohon dipotong, jalan kembali bisa dilalui.",
        "Asesmen kerusakan selesai, data diteruskan untuk bantuan.",
    ),
    "bpbd:SAR": ("Tim BPBD membantu penyisiran di sepanjang kali.",),
    "dlh": (
        "Sampah penyumbat drainase diangkut, air mulai surut.",
        "Batang pohon dipotong dan diangkut armada DLH.",
    ),
    "bmkg": (
        "Gempa M{mag} berpusat di laut, tidak berpotensi tsunami.",
        "Data gempa dikonfirmasi, tidak ada peringatan dini tsunami.",
    ),
    "pln": (
        "Jaringan diamankan, kabel diperbaiki dan listrik kembali menyala.",
        "Aliran dipadamkan sementara, kabel diganti petugas yantek.",
        "Tiang ditegakkan kembali, jaringan normal.",
    ),
    "dishub": (
        "Arus lalu lintas diatur, kendaraan dievakuasi dari badan jalan.",
        "Petugas mengatur lalu lintas hingga jalan kembali lancar.",
    ),
    "basarnas": (
        "Korban ditemukan selamat dan dievakuasi ke darat.",
        "Korban ditemukan meninggal dunia dan diserahkan kepada keluarga.",
        "Perahu ditemukan dan ditarik ke pantai, semua penumpang selamat.",
    ),
    "dinsos": (
        "Yang bersangkutan dirujuk ke RS Khusus Daerah Provinsi Maluku.",
        "Yang bersangkutan dibawa ke panti sosial untuk penanganan lanjut.",
        "Anak diserahkan kepada keluarga setelah pendataan.",
    ),
    "dp3md": (
        "Korban didampingi petugas UPTD PPA dan dibawa ke rumah aman.",
        "Anak didampingi dan diserahkan kepada keluarga.",
    ),
    "distan": (
        "Hewan diamankan dan diobservasi petugas kesehatan hewan.",
        "Anjing diduga rabies dieliminasi, sampel dikirim untuk pemeriksaan.",
        "Vaksinasi rabies dilakukan pada anjing di sekitar lokasi.",
    ),
}
DECLINE_REASONS = (
    "Bukan kewenangan kami; lebih tepat ditangani {other}.",
    "Tim kami sedang menangani kejadian lain, mohon dialihkan ke {other}.",
)
DECLINE_AFTER_HOURS = "Di luar jam kerja tidak ada tim yang bisa turun; mohon dialihkan ke {other}."
CANCEL_DUPLICATE = "Laporan ganda: kejadian yang sama sudah dilaporkan dan sedang ditangani."
CANCEL_REASONS = (
    "Pelapor membatalkan, masalah sudah diselesaikan warga.",
    "Laporan tidak benar: setelah dikonfirmasi, tidak ada kejadian di lokasi.",
)
INFO_NOTES = (
    "Informasi sudah disampaikan kepada pelapor.",
    "Diteruskan ke OPD terkait di luar jejaring 112.",
)
CALL_NOTES = {
    CallOutcome.PRANK: (
        "Anak-anak iseng, tertawa lalu menutup telepon.",
        "Mengaku ada kebakaran; setelah dikonfirmasi tidak ada kejadian.",
        "Penelepon berkata kasar kepada operator.",
        "Hanya ingin mencoba nomor 112.",
    ),
    CallOutcome.GHOST: ("Tidak ada suara, ditutup setelah tiga kali sapaan.",),
    CallOutcome.DROPPED: (
        "Terputus sebelum pelapor bicara; dihubungi balik tidak aktif.",
        "Terputus; dihubungi balik tidak diangkat.",
    ),
    CallOutcome.MISDIAL: ("Salah sambung.", "Telepon tertekan di saku."),
    CallOutcome.INFORMATION: (
        "Menanyakan nomor ambulans PSC 119.",
        "Menanyakan layanan apa saja yang dilayani 112.",
        "Menanyakan informasi gempa yang baru terasa.",
        "Menanyakan jadwal pemadaman listrik.",
    ),
}
